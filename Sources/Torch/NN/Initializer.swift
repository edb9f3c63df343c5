/// How a layer's weights start.
public enum Initializer: Sendable {
  /// PyTorch's default: weight and bias ~ U(±1/√fanIn).
  case pytorch
  /// Keras' He-uniform (the original Musika's): weight ~ U(±√(6/fanIn)), bias = 0.
  case heUniform
  /// weight ~ N(0, std²), bias = 0.
  case normal(std: Double)
  case zeros

  /// Fills `weight` and `bias` given the layer's fan-in.
  func apply(weight: Tensor, bias: Tensor?, fanIn: Int, generator: Generator) {
    let fan = Double(max(fanIn, 1))
    switch self {
    case .pytorch:
      let bound = 1 / fan.squareRoot()
      weight.fillUniform(generator: generator, low: -bound, high: bound)
      bias?.fillUniform(generator: generator, low: -bound, high: bound)
    case .heUniform:
      let limit = (6 / fan).squareRoot()
      weight.fillUniform(generator: generator, low: -limit, high: limit)
      bias?.fill(0)
    case .normal(let std):
      weight.fillNormal(generator: generator, std: std)
      bias?.fill(0)
    case .zeros:
      weight.fill(0)
      bias?.fill(0)
    }
  }
}
