/// Options of a 1-D convolution; change one field at a call site: `.init(stride: 2, padding: .same)`.
public struct Conv1dConfig: Sendable {
  public var stride: Int
  public var padding: ConvPadding
  public var dilation: Int
  public var groups: Int
  public var bias: Bool
  public var initializer: Initializer
  /// What the padding is filled with: zeros (PyTorch's and Keras' default) or, with `.replicate`, the
  /// edge frame repeated, so that frames near the ends see no step down to silence.
  public var edges: PaddingMode

  public init(stride: Int = 1, padding: ConvPadding = .valid, dilation: Int = 1, groups: Int = 1, bias: Bool = true,
              initializer: Initializer = .pytorch, edges: PaddingMode = .constant(0)) {
    self.stride = stride
    self.padding = padding
    self.edges = edges
    self.dilation = dilation
    self.groups = groups
    self.bias = bias
    self.initializer = initializer
  }
}

/// 1-D convolution over time: (batch, inChannels, time) → (batch, outChannels, time').
/// Keys: `weight` (outChannels, inChannels/groups, kernel), `bias` (outChannels).
public final class Conv1d: Module, Layer {
  @Parameter public var weight: Tensor
  @OptionalParameter public var bias: Tensor?
  public let kernel: Int
  public let config: Conv1dConfig
  /// Mixed precision: when set, input, weight and bias are cast to this type for the convolution and
  /// the result back to the input's type; the parameters (and their gradients) stay in their own type.
  public var computeDType: DType?

  public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, _ config: Conv1dConfig = .init()) {
    precondition(inChannels % config.groups == 0 && outChannels % config.groups == 0,
                 "Conv1d: channels \(inChannels)→\(outChannels) not divisible by groups \(config.groups)")
    self.weight = Tensor.zeros([outChannels, inChannels / config.groups, kernel]).requiringGrad()
    self.bias = config.bias ? Tensor.zeros([outChannels]).requiringGrad() : nil
    self.kernel = kernel
    self.config = config
  }

  override public func resetParameters(using generator: Generator) {
    initializer.apply(weight: weight, bias: bias, fanIn: weight.size(1) * kernel, generator: generator)
  }

  private var initializer: Initializer { config.initializer }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    let (left, right) = config.padding.amounts(length: x.size(-1), kernel: kernel, stride: config.stride,
                                               dilation: config.dilation)
    // libtorch pads symmetrically with zeros; the asymmetric remainder and any other fill are padded explicitly.
    let zeros = config.edges.isZero
    let common = zeros ? min(left, right) : 0
    let input = left == common && right == common ? x : x.pad([left - common, right - common], mode: config.edges)
    if let compute = computeDType, compute != x.dtype {
      return input.to(dtype: compute).conv1d(weight.to(dtype: compute), bias: bias?.to(dtype: compute),
                                             stride: config.stride, padding: common, dilation: config.dilation,
                                             groups: config.groups).to(dtype: x.dtype)
    }
    return input.conv1d(weight, bias: bias, stride: config.stride, padding: common, dilation: config.dilation,
                        groups: config.groups)
  }
}
