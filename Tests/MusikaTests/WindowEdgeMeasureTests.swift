import Audio
import Foundation
import Testing
import Torch

@testable import Musika

/// The two measures of what happens at generator-window boundaries (`musika analyze --model`).
@Suite("Window-boundary measures")
struct WindowEdgeMeasureTests {
  /// Noise whose last vector in every 32-vector window has half the amplitude: a quarter of the power.
  @Test func edgePowerFindsAQuietLastVector() {
    let (channels, window, windows) = (64, 32, 40)
    let gain = Tensor((0..<window).map { $0 == window - 1 ? Float(0.5) : 1 }, shape: [1, 1, window])
    let latents = (Tensor.randn([channels, windows, window], generator: Generator(seed: 1)) * gain)
      .reshape(channels, windows * window)
    let profile = WindowEdgePower.profile(Tensor.cat([latents, Tensor.zeros([channels, 5])], dim: 1), window: window)
    #expect(profile.count == window)
    #expect(Swift.abs(profile[window - 1] - 0.25) < 0.05, "\(profile[window - 1])")
    #expect(profile[0..<(window - 1)].allSatisfy { Swift.abs($0 - 1) < 0.15 }, "\(profile)")
    #expect(WindowEdgePower.profile(Tensor.zeros([channels, window - 1]), window: window).isEmpty)
  }

  /// A random walk reads ≈ 1 at its window seams; the same walk with a jump of 3 steps' size at every
  /// seam reads ≈ 9 (squared); one window holds no seam.
  @Test func seamStepFindsAJumpAtEveryWindowSeam() throws {
    let (channels, window, windows) = (64, 32, 40)
    let steps = Tensor.randn([channels, windows * window], generator: Generator(seed: 3))
    let walk = steps.cumsum(dim: 1)
    let smooth = try #require(WindowEdgePower.seamStep(walk, window: window))
    #expect(Swift.abs(smooth - 1) < 0.35, "\(smooth)")
    let jump = Tensor((0..<(windows * window)).map { $0 % window == 0 && $0 > 0 ? Float(2) : 0 }, shape: [1, windows * window])
    let jumpy = (steps + steps * jump).cumsum(dim: 1)  // the seams' steps 3× the size
    let ratio = try #require(WindowEdgePower.seamStep(jumpy, window: window))
    #expect(ratio > 6 && ratio < 12, "\(ratio)")
    #expect(WindowEdgePower.seamStep(walk.narrow(dim: 1, start: 0, length: window), window: window) == nil)
  }

  /// Audio 6 dB quieter within `radius` samples of each boundary reads about −6 dB; steady audio 0 dB.
  /// Shorter than two periods: no boundary, no figure.
  @Test func boundaryLevelReadsADipAtEveryBoundary() throws {
    let (period, radius, periods) = (1_000, 50, 8)
    let steady = Tensor.randn([2, period * periods], generator: Generator(seed: 2))
    let steadyLevel = try #require(WindowBoundaryLevel.decibels(steady, period: period, radius: radius))
    #expect(Swift.abs(steadyLevel) < 0.5)
    #expect(WindowBoundaryLevel.decibels(steady.narrow(dim: 1, start: 0, length: 2 * period - 1), period: period, radius: radius) == nil)
    let gain = Tensor((0..<period).map { $0 < radius || $0 >= period - radius ? Float(0.5) : 1 }, shape: [1, 1, period])
    let dipped = (steady.reshape(2, periods, period) * gain).reshape(2, periods * period)
    let level = try #require(WindowBoundaryLevel.decibels(dipped, period: period, radius: radius))
    #expect(level < -5 && level > -7, "\(level) dB")
  }

  /// Over several pieces the powers are pooled before the ratio: a piece 3 dB down at its boundaries and
  /// one 3 dB up, equally loud elsewhere, average 0 dB as figures but read +0.97 dB pooled (the louder
  /// boundaries carry more power); one piece pooled is its own figure; none, no figure.
  @Test func boundaryLevelsPoolOverPieces() throws {
    let down = WindowBoundaryLevel.Powers(near: 1, far: 2), up = WindowBoundaryLevel.Powers(near: 4, far: 2)
    #expect(Swift.abs(down.decibels + up.decibels) < 1e-12)
    let pooled = try #require(WindowBoundaryLevel.pooledDecibels([down, up]))
    #expect(Swift.abs(pooled - 10 * log10(2.5 / 2)) < 1e-12, "\(pooled)")
    #expect(WindowBoundaryLevel.pooledDecibels([down]) == down.decibels)
    #expect(WindowBoundaryLevel.pooledDecibels([]) == nil)
    let audio = Tensor.randn([2, 8_000], generator: Generator(seed: 9))
    let powers = try #require(WindowBoundaryLevel.powers(audio, period: 1_000, radius: 50))
    #expect(powers.decibels == WindowBoundaryLevel.decibels(audio, period: 1_000, radius: 50))
  }

  /// `musika analyze --model M FILE…` gives real audio the same level measure at the model's window
  /// length, where real music has no boundary: steady noise reads about 0 dB, noise dipped 6 dB around
  /// every window length reads about −6 dB, and two files get the summary of the chance spread.
  @Test func analyzeMeasuresAudioFilesAtTheWindowLength() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("musika-window-level-\(UUID())")
    defer { try? FileManager.default.removeItem(at: root) }
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    let modelFolder = BundledModelTests.folder.appendingPathComponent("piano")
    let model = try GANModel.load(from: modelFolder)
    let rate = DatasetLabeler.analysisRate
    let period = Int((Double(model.config.gan.windowVectors) * model.secondsPerVector * Double(rate)).rounded())
    let radius = Int((model.secondsPerVector * Double(rate)).rounded())
    let frames = 3 * period
    let steady = Tensor.randn([2, frames], generator: Generator(seed: 3)) * 0.1
    let gain = Tensor((0..<frames).map { i in
      [period, 2 * period].contains { abs(i - $0) <= radius } ? Float(0.5) : 1
    }, shape: [1, frames])
    let files = [root.appendingPathComponent("steady.wav"), root.appendingPathComponent("dipped.wav")]
    try AudioFile.write(steady, sampleRate: rate, to: files[0], encoding: .float32)
    try AudioFile.write(steady * gain, sampleRate: rate, to: files[1], encoding: .float32)
    let result = try runMusika(["analyze", "--model", modelFolder.path, "--seconds", "1", "--seeds", "1", "--threads", "1"]
                               + files.map(\.path))
    #expect(result.status == 0, "\(result.stderr)")
    func level(_ name: String) throws -> Double {
      let line = try #require(result.stdout.split(separator: "\n").first { $0.contains(name) }, "\(result.stdout)")
      let text = try #require(line.components(separatedBy: "level at every window length vs elsewhere ").last?
        .components(separatedBy: " dB").first)
      return try #require(Double(text), "\(line)")
    }
    let steadyLevel = try level("steady.wav")
    let dippedLevel = try level("dipped.wav")
    #expect(Swift.abs(steadyLevel) < 0.3, "\(steadyLevel) dB")
    #expect(dippedLevel < -5 && dippedLevel > -7, "\(dippedLevel) dB")
    #expect(result.stdout.contains("audio files (2): level at every window length"))
    #expect(result.stdout.contains("audio files (2): pulse at the latent-vector rate"))
    #expect(result.stdout.contains("level at generator-window boundaries: not measured"))  // 1 s: no boundary
  }
}
