/// y = x·Wᵀ + b. x (…, inFeatures) → (…, outFeatures). Keys: `weight` (out, in), `bias` (out).
public final class Linear: Module, Layer {
  @Parameter public var weight: Tensor
  @OptionalParameter public var bias: Tensor?
  public let initializer: Initializer

  public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, initializer: Initializer = .pytorch) {
    self.weight = Tensor.zeros([outFeatures, inFeatures]).requiringGrad()
    self.bias = bias ? Tensor.zeros([outFeatures]).requiringGrad() : nil
    self.initializer = initializer
  }

  override public func resetParameters(using generator: Generator) {
    initializer.apply(weight: weight, bias: bias, fanIn: weight.size(1), generator: generator)
  }

  public func callAsFunction(_ x: Tensor) -> Tensor { x.linear(weight, bias: bias) }
}
