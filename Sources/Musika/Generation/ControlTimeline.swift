import Foundation
import Torch

/// The controls of a stream over its whole length: the starting controls and the changes, each
/// starting at a vector and ramping in over some vectors. It turns a span of vectors into the
/// generator's input, (coordinateChannels + conditionChannels, count):
///
/// - Coordinates of different seeds or truncations are blended with weights (1 − α, α) divided by
///   √((1 − α)² + α²), which keeps the variance of the random draws the generator was trained on.
/// - Condition channels (tempo, density) are interpolated linearly.
/// - A generator with a beat clock (`TempoClock`) gets the beats elapsed since vector 0: the sum of
///   the tempo over the vectors, kept from `clockAnchor` on (`forget` moves the anchor forward).
///
/// Everything is a function of the vector position, so any span (from the last `forget` on) can be
/// computed on its own.
struct ControlTimeline {
  struct Change {
    let vector: Int
    let ramp: Int
    let controls: GenerationControls

    /// How far the change has ramped in at vector `u`: 0 before it, 1 once done.
    func weight(at u: Int) -> Double { min(max(Double(u - vector + 1) / Double(ramp), 0), 1) }
  }

  let config: GANModelConfig
  let secondsPerVector: Double
  let loopVectors: Int?
  private(set) var base: GenerationControls
  private(set) var changes: [Change] = []
  /// Beats elapsed at a vector at or before any vector still to be asked for.
  private(set) var clockAnchor: (vector: Int, beats: Double) = (0, 0)

  init(config: GANModelConfig, controls: GenerationControls, secondsPerVector: Double, loopVectors: Int?) {
    self.config = config
    self.base = controls
    self.secondsPerVector = secondsPerVector
    self.loopVectors = loopVectors
  }

  mutating func schedule(_ controls: GenerationControls, at vector: Int, ramp: Int) {
    changes.append(Change(vector: vector, ramp: max(ramp, 1), controls: controls))
  }

  /// The controls in force once every change up to `vector` has ramped in.
  var latest: GenerationControls { changes.last?.controls ?? base }

  /// Forgets changes that have fully ramped in before `vector` (nothing before it will be asked for
  /// again): the last of them becomes the base. Keeps memory constant in endless streams.
  mutating func forget(before vector: Int) {
    if config.gan.clockChannelCount > 0, vector > clockAnchor.vector {
      clockAnchor = (vector, beats(at: vector))
    }
    guard let last = changes.lastIndex(where: { $0.vector + $0.ramp - 1 <= vector }) else { return }
    base = changes[last].controls
    changes.removeFirst(last + 1)
  }

  /// Generator input for vectors start ..< start + count: (inputChannels, count), float32.
  func inputs(start: Int, count: Int) throws -> Tensor {
    var coordinates = try self.coordinates(base, start: start, count: count)
    var conditions = try self.conditions(base, start: start, count: count)
    var key = base.coordinateKey
    for change in changes {
      let weights = (start..<(start + count)).map(change.weight(at:))
      guard weights.contains(where: { $0 > 0 }) else { continue }
      let alpha = Tensor(weights.map(Float.init)).unsqueeze(0)  // (1, count)
      if change.controls.coordinateKey != key {
        let target = try self.coordinates(change.controls, start: start, count: count)
        let norm = ((1 - alpha).square() + alpha.square()).sqrt()
        coordinates = (coordinates * (1 - alpha) + target * alpha) / norm
        key = change.controls.coordinateKey
      }
      if conditions.size(0) > 0 {
        let target = try self.conditions(change.controls, start: start, count: count)
        conditions = conditions + (target - conditions) * alpha
      }
    }
    guard config.gan.clockChannelCount > 0 else { return Tensor.cat([coordinates, conditions], dim: 0) }
    return Tensor.cat([coordinates, conditions, clock(start: start, count: count)], dim: 0)
  }

  /// Beats per vector at the tempo in force at vector `u`: the base's, then each change ramped in,
  /// as the condition channels blend them. A clock implies tempo conditioning, and `conditions` has already
  /// refused controls without a tempo, so the 0 never reaches a generator.
  private func beatsPerVector(at u: Int) -> Double {
    var bpm = base.tempo ?? 0
    for change in changes {
      guard let target = change.controls.tempo else { continue }
      bpm += (target - bpm) * change.weight(at: u)
    }
    return TempoClock.beatsPerVector(bpm: bpm, secondsPerVector: secondsPerVector)
  }

  /// Beats elapsed at vector `v` ≥ the anchor: the anchor's, plus each vector's beats since.
  private func beats(at v: Int) -> Double {
    (clockAnchor.vector..<max(v, clockAnchor.vector)).reduce(clockAnchor.beats) { $0 + beatsPerVector(at: $1) }
  }

  /// (clockChannels, count). A looping stream's clock restarts with its coordinates at each period.
  private func clock(start: Int, count: Int) -> Tensor {
    let vectors = start..<(start + count)
    let elapsed: [Double]
    if let loopVectors {
      elapsed = vectors.map { beatsPerVector(at: $0) * Double($0 % loopVectors) }
    } else {
      var running = beats(at: start)
      elapsed = vectors.map { v in
        defer { running += beatsPerVector(at: v) }
        return running
      }
    }
    return TempoClock.channels(beats: Tensor(elapsed, shape: [count]))
  }

  private func coordinates(_ controls: GenerationControls, start: Int, count: Int) throws -> Tensor {
    try CoordinateSampler(config: config.gan, seed: controls.seed, truncation: controls.truncation,
                          styleTruncation: config.styleTruncation, loopVectors: loopVectors).coordinates(start: start, count: count)
  }

  private func conditions(_ controls: GenerationControls, start: Int, count: Int) throws -> Tensor {
    let density = controls.density.map { density in
      (start..<(start + count)).map { vector in
        let position = loopVectors.map { vector % $0 } ?? vector
        return density.value(at: (Double(position) + 0.5) * secondsPerVector)
      }
    }
    return try config.conditioning.channels(tempo: controls.tempo, density: density, count: count)
  }
}
