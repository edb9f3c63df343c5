public struct Conv2dConfig: Sendable {
  /// (height, width) pairs.
  public var stride: (Int, Int)
  public var padding: (Int, Int)
  public var dilation: (Int, Int)
  public var groups: Int
  public var bias: Bool
  public var initializer: Initializer

  public init(stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
              groups: Int = 1, bias: Bool = true, initializer: Initializer = .pytorch) {
    self.stride = stride
    self.padding = padding
    self.dilation = dilation
    self.groups = groups
    self.bias = bias
    self.initializer = initializer
  }
}

/// 2-D convolution (spectrogram discriminators): (batch, inChannels, h, w) → (batch, outChannels, h', w').
/// Keys: `weight` (outChannels, inChannels/groups, kh, kw), `bias` (outChannels).
public final class Conv2d: Module, Layer {
  @Parameter public var weight: Tensor
  @OptionalParameter public var bias: Tensor?
  public let kernel: (Int, Int)
  public let config: Conv2dConfig

  public init(_ inChannels: Int, _ outChannels: Int, kernel: (Int, Int), _ config: Conv2dConfig = .init()) {
    precondition(inChannels % config.groups == 0 && outChannels % config.groups == 0,
                 "Conv2d: channels \(inChannels)→\(outChannels) not divisible by groups \(config.groups)")
    self.weight = Tensor.zeros([outChannels, inChannels / config.groups, kernel.0, kernel.1]).requiringGrad()
    self.bias = config.bias ? Tensor.zeros([outChannels]).requiringGrad() : nil
    self.kernel = kernel
    self.config = config
  }

  override public func resetParameters(using generator: Generator) {
    config.initializer.apply(weight: weight, bias: bias, fanIn: weight.size(1) * kernel.0 * kernel.1,
                             generator: generator)
  }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    x.conv2d(weight, bias: bias, stride: config.stride, padding: config.padding, dilation: config.dilation,
             groups: config.groups)
  }
}
