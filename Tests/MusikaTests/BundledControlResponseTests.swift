import Audio
import Foundation
import Testing
import Torch

@testable import Musika

/// The bundled models must obey their controls, measured the way `data/evaluate_conditioning.py`
/// measures them (the labeller's tempo estimator and onset detector on rendered clips). The bounds
/// come from the shipped models' measured figures (their cards), with a margin, and are far beyond
/// what a model that ignores its control shows: for such a model the two sides differ only by the
/// seed-to-seed noise, which the pairing by seed removes.
@Suite("Bundled models obey their controls", .serialized)
struct BundledControlResponseTests {
  static let seeds: [UInt64] = [1, 2, 3, 4]
  static let seconds = 20

  /// Rendered with `controls` (seed set per clip), analysed at the labeller's rate.
  static func analyze(_ model: GANModel, _ controls: Controls, labeler: DatasetLabeler) throws -> (tempo: Double?, onsetsPerSecond: Double) {
    #expect(model.sampleRate == DatasetLabeler.analysisRate, "the bundled codec's rate is no longer the labeller's")
    let audio = try MusicStream(model: model, controls: controls.resolved(for: model.config)).render(seconds: Double(seconds))
    let (tempo, onsets) = try labeler.analyze(audio)
    return (tempo, Double(onsets.count) / Double(seconds))
  }

  /// piano at density 1 vs 5 onsets per second, seed by seed: the denser clip has more onsets.
  @Test func pianoFollowsItsDensity() throws {
    let model = try GANModel.load(from: BundledModelTests.folder.appendingPathComponent("piano"))
    let labeler = DatasetLabeler()
    var sparse: [Double] = [], dense: [Double] = []
    for seed in Self.seeds {
      sparse.append(try Self.analyze(model, Controls(seed: seed, density: 1), labeler: labeler).onsetsPerSecond)
      dense.append(try Self.analyze(model, Controls(seed: seed, density: 5), labeler: labeler).onsetsPerSecond)
    }
    let denser = zip(sparse, dense).filter { $1 > $0 }.count
    let gap = zip(sparse, dense).map { $1 - $0 }.reduce(0, +) / Double(Self.seeds.count)
    print("piano: onsets/s at density 1 \(sparse), at 5 \(dense), mean gap \(gap)")
    #expect(denser == Self.seeds.count, "only \(denser) of \(Self.seeds.count) seeds have more onsets at density 5 than at 1")
    #expect(gap >= 0.5, "density 5 vs 1 differ by only \(gap) onsets per second on average")
  }
}
