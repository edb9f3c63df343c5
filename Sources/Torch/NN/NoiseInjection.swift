/// Musika's AddNoise: y = x + s·n, with s a learned scalar (starting at 0) and n ~ N(0, 1) of shape
/// (batch, 1, time), shared across channels. The noise comes from the layer's own generator, which
/// `Module.seedRandomness(_:)` reseeds, so stochastic decoding is reproducible.
/// Key: `strength` (1).
public final class NoiseInjection: Module, Layer {
  @Parameter public var strength: Tensor
  public private(set) var generator: Generator

  override public init() {
    self.strength = Tensor.zeros([1]).requiringGrad()
    self.generator = Generator(seed: 0)
  }

  override public func resetParameters(using generator: Generator) {
    strength.fill(0)
  }

  override public func reseed(_ seed: UInt64) {
    generator = Generator(seed: seed)
  }

  /// x (batch, channels, time) → same shape.
  public func callAsFunction(_ x: Tensor) -> Tensor {
    let s = x.shape
    let noise = Tensor.randn([s[0], 1, s[2]], generator: generator, dtype: x.dtype, device: x.device)
    return x + strength.to(dtype: x.dtype) * noise
  }
}
