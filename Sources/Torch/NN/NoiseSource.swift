/// The noise of one forward pass. Noise layers take their draws from a source passed into the pass
/// instead of owning a generator, so modules hold no mutable state: one model serves many streams at
/// once, in parallel, and stays deterministic. Draw k of a source with seed s is N(0, 1) from a
/// generator seeded with `Seed.derive(s, [k])`; a forward pass draws in program order, so the same
/// seed gives the same noise, bit for bit. Make one source per pass (it counts its draws), seeded
/// from what the pass stands for, e.g. (stream seed, decoder chunk) or (run seed, training step).
public final class NoiseSource {
  public let seed: UInt64
  public private(set) var draws: UInt64 = 0

  public init(seed: UInt64) {
    self.seed = seed
  }

  /// The next draw: N(0, 1) of `shape`.
  public func normal(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) -> Tensor {
    defer { draws += 1 }
    return Tensor.randn(shape, generator: Generator(seed: Seed.derive(seed, [.number(draws)])), dtype: dtype,
                        device: device)
  }
}
