/// Musika's AddNoise: y = x + s·n, with s a learned scalar (starting at 0) and n ~ N(0, 1) of shape
/// (batch, 1, time), shared across channels. n is drawn from the `NoiseSource` of the forward pass,
/// so the layer itself is immutable and decoding is reproducible from the source's seed.
/// Key: `strength` (1).
public final class NoiseInjection: Module {
  @Parameter public var strength: Tensor

  override public init() {
    self.strength = Tensor.zeros([1]).requiringGrad()
  }

  override public func resetParameters(using generator: Generator) {
    strength.fill(0)
  }

  /// x (batch, channels, time) → same shape.
  public func callAsFunction(_ x: Tensor, noise: NoiseSource) -> Tensor {
    let (s, n) = term(for: x, noise: noise)
    return x + s * n
  }

  /// The strength (1) and this pass's noise (batch, 1, time) for x (batch, channels, time), in x's
  /// dtype and device: for callers that add s·n in place. Draws from `noise` as a call would.
  public func term(for x: Tensor, noise: NoiseSource) -> (strength: Tensor, noise: Tensor) {
    let s = x.shape
    return (strength.to(dtype: x.dtype), noise.normal([s[0], 1, s[2]], dtype: x.dtype, device: x.device))
  }
}
