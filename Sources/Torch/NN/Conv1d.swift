/// Options of a 1-D convolution; change one field at a call site: `.init(stride: 2, padding: .same)`.
public struct Conv1dConfig: Sendable {
  public var stride: Int
  public var padding: ConvPadding
  public var dilation: Int
  public var groups: Int
  public var bias: Bool
  public var initializer: Initializer

  public init(stride: Int = 1, padding: ConvPadding = .valid, dilation: Int = 1, groups: Int = 1, bias: Bool = true,
              initializer: Initializer = .pytorch) {
    self.stride = stride
    self.padding = padding
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
    // libtorch pads symmetrically; the asymmetric remainder is padded explicitly.
    let common = min(left, right)
    let input = left == right ? x : x.pad([left - common, right - common])
    if let compute = computeDType, compute != x.dtype {
      return input.to(dtype: compute).conv1d(weight.to(dtype: compute), bias: bias?.to(dtype: compute),
                                             stride: config.stride, padding: common, dilation: config.dilation,
                                             groups: config.groups).to(dtype: x.dtype)
    }
    return input.conv1d(weight, bias: bias, stride: config.stride, padding: common, dilation: config.dilation,
                        groups: config.groups)
  }
}
