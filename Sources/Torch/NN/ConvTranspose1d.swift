/// Padding of a transposed convolution, stated as the output it gives.
public enum TransposedConvPadding: Sendable, Equatable {
  /// Keras 'same': output length T·stride (k4 s2 → 2T).
  case same
  /// The full output, (T−1)·stride + dilation·(kernel−1) + 1.
  case valid
  /// PyTorch's `padding` (crops that many frames from each side).
  case explicit(Int)
}

public struct ConvTranspose1dConfig: Sendable {
  public var stride: Int
  public var padding: TransposedConvPadding
  public var outputPadding: Int
  public var dilation: Int
  public var groups: Int
  public var bias: Bool
  public var initializer: Initializer

  public init(stride: Int = 1, padding: TransposedConvPadding = .valid, outputPadding: Int = 0, dilation: Int = 1,
              groups: Int = 1, bias: Bool = true, initializer: Initializer = .pytorch) {
    self.stride = stride
    self.padding = padding
    self.outputPadding = outputPadding
    self.dilation = dilation
    self.groups = groups
    self.bias = bias
    self.initializer = initializer
  }
}

/// Transposed 1-D convolution (upsampling): (batch, inChannels, T) → (batch, outChannels, T').
/// Keys: `weight` (inChannels, outChannels/groups, kernel), `bias` (outChannels).
/// Fan-in for initialisation is outChannels/groups·kernel, in both PyTorch and Keras.
/// Packed for inference (CPU, groups and dilation 1), `weight` holds the stride phase kernels
/// (stride·outChannels, inChannels, ceil(kernel/stride)) instead.
public final class ConvTranspose1d: Module, Layer {
  @Parameter public var weight: Tensor
  @OptionalParameter public var bias: Tensor?
  public let kernel: Int
  public let config: ConvTranspose1dConfig
  /// Mixed precision, as `Conv1d.computeDType`.
  public var computeDType: DType?

  public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, _ config: ConvTranspose1dConfig = .init()) {
    precondition(inChannels % config.groups == 0 && outChannels % config.groups == 0,
                 "ConvTranspose1d: channels \(inChannels)→\(outChannels) not divisible by groups \(config.groups)")
    self.weight = Tensor.zeros([inChannels, outChannels / config.groups, kernel]).requiringGrad()
    self.bias = config.bias ? Tensor.zeros([outChannels]).requiringGrad() : nil
    self.kernel = kernel
    self.config = config
  }

  override public func resetParameters(using generator: Generator) {
    config.initializer.apply(weight: weight, bias: bias, fanIn: weight.size(1) * kernel, generator: generator)
  }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    if let compute = computeDType, compute != x.dtype {
      return transposed(x.to(dtype: compute), weight: weight.to(dtype: compute), bias: bias?.to(dtype: compute))
        .to(dtype: x.dtype)
    }
    return transposed(x, weight: weight, bias: bias)
  }

  /// Whether `weight` holds the stride phase kernels (see `Module.packForInference`).
  public private(set) var holdsPhaseKernels = false

  func packWeightForInference() throws {
    guard !holdsPhaseKernels, config.groups == 1, config.dilation == 1, weight.device == .cpu else { return }
    try weight.setData(weight.detach().convTranspose1dPhases(stride: config.stride))
    weight.requiresGrad = false
    holdsPhaseKernels = true
  }

  private func transposed(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    let c = config
    func convolve(padding: Int, outputPadding: Int) -> Tensor {
      holdsPhaseKernels
        ? x.convTranspose1d(phases: weight, bias: bias, stride: c.stride, kernel: kernel, padding: padding,
                            outputPadding: outputPadding)
        : x.convTranspose1d(weight, bias: bias, stride: c.stride, padding: padding, outputPadding: outputPadding,
                            groups: c.groups, dilation: c.dilation)
    }
    switch c.padding {
    case .valid:
      return convolve(padding: 0, outputPadding: c.outputPadding)
    case .explicit(let p):
      return convolve(padding: p, outputPadding: c.outputPadding)
    case .same:
      // TensorFlow crops (total/2, total − total/2) from the full output; libtorch crops symmetrically,
      // so crop the left amount there and trim the rest.
      let length = x.size(-1)
      let total = (kernel - 1) * c.dilation + 1 - c.stride
      precondition(total >= 0, "ConvTranspose1d: 'same' needs kernel ≥ stride")
      let y = convolve(padding: total / 2, outputPadding: 0)
      let target = length * c.stride
      return y.size(-1) == target ? y : y.narrow(dim: -1, start: 0, length: target)
    }
  }
}
