import Foundation

/// What a listener asks for, as given: every field optional, so that a change names only what it
/// changes. The CLI's flags, `musika stream --controls` lines and the studio's JSON all become one of
/// these; `merged(with:)` applies a change, and `resolved(for:)` checks it against a model once and fills
/// what was left out, giving the `GenerationControls` the engine plays.
public struct Controls: Codable, Sendable, Equatable {
  public var seed: UInt64?
  public var truncation: Double?
  public var tempo: Double?
  public var density: Double?
  /// [[seconds, density], …]: a note-density curve over time (clips and files, not live streams).
  public var densityCurve: [[Double]]?

  public init(seed: UInt64? = nil, truncation: Double? = nil, tempo: Double? = nil, density: Double? = nil,
              densityCurve: [[Double]]? = nil) {
    self.seed = seed
    self.truncation = truncation
    self.tempo = tempo
    self.density = density
    self.densityCurve = densityCurve
  }

  /// The JSON keys, for strict decoding (unknown keys are errors).
  public static let keys: Set<String> = ["seed", "truncation", "tempo", "density", "densityCurve"]

  /// These controls with those set in `change` taking their place. A density replaces a curve and
  /// the other way round.
  public func merged(with change: Controls) -> Controls {
    var merged = Controls(seed: change.seed ?? seed, truncation: change.truncation ?? truncation,
                          tempo: change.tempo ?? tempo, density: density, densityCurve: densityCurve)
    if change.density != nil || change.densityCurve != nil {
      merged.density = change.density
      merged.densityCurve = change.densityCurve
    }
    return merged
  }

  /// One control line as `musika stream --controls` reads them: `seed 7`, `truncation 1.5`,
  /// `tempo 128`, `density 3`.
  public init(line: String) throws {
    let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    let usage = "expected 'seed N', 'truncation X', 'tempo BPM' or 'density V'"
    guard words.count == 2 else { throw MusikaError.invalidInput("\(usage), got '\(line)'") }
    self.init()
    switch words[0] {
    case "seed":
      guard let value = UInt64(words[1]) else { throw MusikaError.invalidInput("seed must be a whole number ≥ 0, got '\(words[1])'") }
      seed = value
    case "truncation", "tempo", "density":
      guard let value = Double(words[1]), value.isFinite else {
        throw MusikaError.invalidInput("\(words[0]) must be a number, got '\(words[1])'")
      }
      switch words[0] {
      case "truncation": truncation = value
      case "tempo": tempo = value
      default: density = value
      }
    default:
      throw MusikaError.invalidInput("unknown control '\(words[0])': \(usage)")
    }
  }

  /// The controls checked against `config` (conditions it accepts, sensible ranges) and completed with
  /// its defaults: seed 0, the model's truncation, the training set's mean tempo or density.
  public func resolved(for config: GANModelConfig) throws -> GenerationControls {
    var controls = GenerationControls(seed: seed ?? 0, truncation: truncation ?? config.defaultTruncation, tempo: tempo)
    if let density { controls.density = .constant(density) }
    if let densityCurve {
      guard density == nil else { throw MusikaError.invalidInput("give a density or a density curve, not both") }
      let points = try densityCurve.map { pair -> (seconds: Double, value: Double) in
        guard pair.count == 2 else { throw MusikaError.invalidInput("a density curve holds [seconds, density] pairs") }
        return (pair[0], pair[1])
      }
      controls.density = .curve(try DensityCurve(points: points))
    }
    try controls.validate(for: config)
    return controls.completed(for: config)
  }

  /// A note when the tempo lies outside what the model was trained on (it still plays).
  public func tempoWarning(for config: GANModelConfig) -> String? {
    guard let scale = config.conditioning.tempo, let tempo, tempo < scale.minimum * 0.9 || tempo > scale.maximum * 1.1 else {
      return nil
    }
    return String(format: "%.0f BPM is outside the tempi the model was trained on (%.0f–%.0f)", tempo, scale.minimum, scale.maximum)
  }
}

extension DensityCurve {
  /// The curve as [[seconds, density], …], the form `Controls` carries.
  public var pairs: [[Double]] { points.map { [$0.seconds, $0.value] } }
}
