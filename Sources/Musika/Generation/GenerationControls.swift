import Foundation

/// What a listener steers: the stream's seed (its anchors and style), the truncation of the random
/// draws, and — for conditioned models — tempo and note density.
public struct GenerationControls: Sendable, Equatable, Codable {
  public var seed: UInt64
  /// Draws are redrawn outside ±truncation: low values are safer and plainer, high ones wilder.
  public var truncation: Double
  /// Tempo in BPM (tempo-conditioned models).
  public var tempo: Double?
  /// Note density in onsets per second (density-conditioned models).
  public var density: Density?

  public enum Density: Sendable, Equatable, Codable {
    case constant(Double)
    case curve(DensityCurve)

    /// The density `seconds` into the stream.
    public func value(at seconds: Double) -> Double {
      switch self {
      case .constant(let value): value
      case .curve(let curve): curve.value(at: seconds)
      }
    }
  }

  /// No default truncation: each model has its own (`GANModelConfig.defaultTruncation`, e.g. the piano
  /// model plays at 1, where 2 opens some seeds near silence). `Controls.resolved(for:)` fills it in.
  public init(seed: UInt64, truncation: Double, tempo: Double? = nil, density: Density? = nil) {
    self.seed = seed
    self.truncation = truncation
    self.tempo = tempo
    self.density = density
  }

  /// Checks the controls against a model: conditions it accepts, sensible ranges.
  public func validate(for config: GANModelConfig) throws {
    guard truncation > 0, truncation <= 10 else {
      throw MusikaError.invalidInput("truncation must be in (0, 10] (got \(truncation)); 2 is the original's default")
    }
    let conditioning = config.conditioning
    if let tempo {
      guard conditioning.tempo != nil else {
        throw MusikaError.invalidInput("model '\(config.name)' is not tempo-conditioned (it is \(conditioning.summary)); drop the tempo")
      }
      guard tempo > 0, tempo < 1000 else { throw MusikaError.invalidInput("tempo must be in (0, 1000) BPM (got \(tempo))") }
    }
    if density != nil, conditioning.density == nil {
      throw MusikaError.invalidInput("model '\(config.name)' is not conditioned on note density (it is \(conditioning.summary)); drop the density")
    }
    if case .constant(let value) = density, value < 0 || !value.isFinite {
      throw MusikaError.invalidInput("note density must be ≥ 0 onsets per second (got \(value))")
    }
  }

  /// Fills conditions a model needs but the controls lack with the training set's means.
  public func completed(for config: GANModelConfig) -> GenerationControls {
    var copy = self
    if copy.tempo == nil, let scale = config.conditioning.tempo { copy.tempo = scale.mean }
    if copy.density == nil, let scale = config.conditioning.density { copy.density = .constant(scale.mean) }
    return copy
  }

  /// Seed and truncation fix the coordinates; two controls with the same ones share them.
  var coordinateKey: CoordinateKey { CoordinateKey(seed: seed, truncation: truncation) }

  struct CoordinateKey: Hashable {
    let seed: UInt64
    let truncation: Double
  }
}

/// Note density over time, read from a text file of `seconds value` lines (commas or spaces; `#`
/// comments). Linear between points, held before the first and after the last.
public struct DensityCurve: Sendable, Equatable, Codable {
  public let points: [Point]

  public struct Point: Sendable, Equatable, Codable {
    public let seconds: Double
    public let value: Double
  }

  public init(points: [(seconds: Double, value: Double)]) throws {
    guard !points.isEmpty else { throw MusikaError.invalidInput("a density curve needs at least one point") }
    for (a, b) in zip(points, points.dropFirst()) where b.seconds <= a.seconds {
      throw MusikaError.invalidInput("density curve times must increase (\(a.seconds) then \(b.seconds))")
    }
    for point in points where point.value < 0 || !point.value.isFinite || !point.seconds.isFinite {
      throw MusikaError.invalidInput("density curve values must be finite and ≥ 0 (got \(point.value) at \(point.seconds) s)")
    }
    self.points = points.map { Point(seconds: $0.seconds, value: $0.value) }
  }

  public init(contentsOf url: URL) throws {
    let text: String
    do { text = try String(contentsOf: url, encoding: .utf8) } catch {
      throw MusikaError.invalidInput("cannot read density curve \(url.path): \(error.localizedDescription)")
    }
    var points: [(Double, Double)] = []
    for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
      let fields = line.split { $0 == "," || $0 == " " || $0 == "\t" || $0 == "\r" }
      if fields.isEmpty { continue }
      guard fields.count == 2, let t = Double(fields[0]), let v = Double(fields[1]) else {
        if number == 0, fields.count == 2, Double(fields[0]) == nil { continue }  // a header line
        throw MusikaError.invalidInput("\(url.path), line \(number + 1): expected 'seconds value', got '\(raw)'")
      }
      points.append((t, v))
    }
    do { try self.init(points: points) } catch let error as MusikaError {
      throw MusikaError.invalidInput("\(url.path): \(error)")
    }
  }

  public func value(at seconds: Double) -> Double {
    guard let upper = points.firstIndex(where: { $0.seconds > seconds }) else { return points.last!.value }
    guard upper > 0 else { return points[0].value }
    let (a, b) = (points[upper - 1], points[upper])
    return a.value + (b.value - a.value) * (seconds - a.seconds) / (b.seconds - a.seconds)
  }
}
