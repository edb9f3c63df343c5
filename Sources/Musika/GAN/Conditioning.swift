import Foundation
import Torch

/// What a GAN is conditioned on, and how label values map to its extra coordinate channels.
///
/// - `tempo`: one channel holding the piece's tempo (BPM), constant along time.
/// - `density`: one channel holding the note density (onsets per second) of every latent vector.
///
/// Values are standardised with the training set's statistics, stored here, so a model carries
/// everything needed to turn "128 BPM" into its input. The critic sees the same channels beside the
/// latents. A model with neither is unconditional.
public struct Conditioning: Codable, Sendable, Equatable {
  public struct Scale: Codable, Sendable, Equatable {
    public var mean: Double
    public var deviation: Double
    /// The range seen in training; asking far outside it is allowed but reported.
    public var minimum: Double
    public var maximum: Double

    public init(mean: Double, deviation: Double, minimum: Double, maximum: Double) {
      self.mean = mean
      self.deviation = deviation
      self.minimum = minimum
      self.maximum = maximum
    }

    /// Statistics of observed values (deviation floored so a constant label still works).
    public init(values: [Double]) {
      let mean = values.reduce(0, +) / Double(max(values.count, 1))
      let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(values.count, 1))
      self.init(mean: mean, deviation: max(variance.squareRoot(), 1e-3 * max(abs(mean), 1)),
                minimum: values.min() ?? mean, maximum: values.max() ?? mean)
    }

    func normalise(_ value: Double) -> Double { (value - mean) / deviation }
  }

  public static let tempoLabel = "tempo"
  public static let densityLabel = "density"
  /// Not a condition: the beats elapsed at each vector of real music (`musika label`), from which
  /// the critic's beat clock is drawn (`GANConfig.criticClockChannels`).
  public static let beatsLabel = "beats"

  public var tempo: Scale?
  public var density: Scale?

  public static let none = Conditioning(tempo: nil, density: nil)

  public init(tempo: Scale? = nil, density: Scale? = nil) {
    self.tempo = tempo
    self.density = density
  }

  public var channelCount: Int { (tempo == nil ? 0 : 1) + (density == nil ? 0 : 1) }
  public var isConditional: Bool { channelCount > 0 }

  /// Human-readable list, e.g. "tempo (BPM 92–140), density (onsets/s 0.5–6.1)".
  public var summary: String {
    var parts: [String] = []
    if let tempo { parts.append(String(format: "tempo (%.0f–%.0f BPM)", tempo.minimum, tempo.maximum)) }
    if let density { parts.append(String(format: "note density (%.1f–%.1f onsets/s)", density.minimum, density.maximum)) }
    return parts.isEmpty ? "unconditional" : parts.joined(separator: ", ")
  }

  /// Condition channels for `count` vectors: tempo (one BPM for all) and density (one value per
  /// vector) → (channelCount, count) float32, standardised. Missing values are an error naming the
  /// label.
  public func channels(tempo bpm: Double?, density: [Double]?, count: Int) throws -> Tensor {
    var rows: [Tensor] = []
    if let tempo {
      guard let bpm else { throw MusikaError.invalidInput("this model is tempo-conditioned: give a tempo in BPM") }
      rows.append(Tensor.full([count], value: tempo.normalise(bpm), dtype: .float32))
    }
    if let scale = self.density {
      guard let density, density.count == count else {
        throw MusikaError.invalidInput("this model is conditioned on note density: give one value per vector "
          + "(\(count)), got \(density?.count ?? 0)")
      }
      rows.append(Tensor(density.map { Float(scale.normalise($0)) }))
    }
    guard !rows.isEmpty else { return Tensor.zeros([0, count]) }
    return Tensor.stack(rows, dim: 0)
  }
}
