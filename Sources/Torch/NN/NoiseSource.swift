/// The noise of one forward pass. Noise layers take their draws from a source passed into the pass
/// instead of owning a generator, so modules hold no mutable state: one model serves many streams at
/// once, in parallel, and stays deterministic. Draw k of a source with seed s is N(0, 1) from a
/// generator seeded with `Seed.derive(s, [k])`; a forward pass draws in program order, so the same
/// seed gives the same noise, bit for bit. Make one source per pass (it counts its draws), seeded
/// from what the pass stands for, e.g. (stream seed, decoder chunk) or (run seed, training step).
///
/// A source with a `NoisePlacement` ties a convolutional pass's noise to positions instead: the pass
/// reads a span of a longer sequence, and draw k's value at each of its steps depends only on
/// (seed, k, batch item, absolute position). Any span then gets the noise the whole sequence would,
/// so decoding in chunks of any size gives the same audio.
public final class NoiseSource {
  public let seed: UInt64
  public let placement: NoisePlacement?
  public private(set) var draws: UInt64 = 0

  public init(seed: UInt64, placement: NoisePlacement? = nil) {
    self.seed = seed
    self.placement = placement
  }

  /// The next draw: N(0, 1) of `shape`. With a placement, a (batch, 1, T) draw is tied to the
  /// positions of the layer it feeds (T steps over the pass's input span, at a whole number of input
  /// steps per step or of steps per input step). A layer off that grid (none of the decoders' layers
  /// over aligned spans is) gets an ordinary draw seeded also by the origin, so spans still differ.
  public func normal(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) -> Tensor {
    defer { draws += 1 }
    let drawSeed = Seed.derive(seed, [.number(draws)])
    if let placement, shape.count == 3, shape[1] == 1, let span = placement.span(steps: shape[2]) {
      let noise = Tensor.positionalNormal(seed: drawSeed, batch: shape[0], start: span.start, length: shape[2],
                                          period: span.period)
      return noise.to(dtype: dtype).to(device: device)
    }
    let seed = placement.map { Seed.derive(drawSeed, [.int($0.origin)]) } ?? drawSeed
    return Tensor.randn(shape, generator: Generator(seed: seed), dtype: dtype, device: device)
  }
}

/// Where a pass's input lies in a longer sequence: its first step's absolute index, its length, and
/// the period after which the sequence repeats (a loop), all in input steps.
public struct NoisePlacement: Sendable, Equatable {
  public var origin: Int
  public var inputLength: Int
  public var period: Int?

  public init(origin: Int, inputLength: Int, period: Int? = nil) {
    self.origin = origin
    self.inputLength = inputLength
    self.period = period
  }

  /// The absolute start and period of a layer with `steps` steps over this input, when its rate is a
  /// whole-number ratio of the input's (2^k for the decoders) and the origin (and period) fall on its
  /// grid; nil otherwise (the draw is then an ordinary one).
  func span(steps: Int) -> (start: Int, period: Int?)? {
    guard inputLength > 0, steps > 0 else { return nil }
    if steps >= inputLength {
      guard steps % inputLength == 0 else { return nil }
      let up = steps / inputLength
      return (origin * up, period.map { $0 * up })
    }
    let down = Int((Double(inputLength) / Double(steps)).rounded())
    guard down > 0, (inputLength + down - 1) / down == steps, origin % down == 0,
          period.map({ $0 % down == 0 }) ?? true else { return nil }
    return (origin / down, period.map { $0 / down })
  }
}
