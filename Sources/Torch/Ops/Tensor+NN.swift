import CTorch

/// How `pad` fills the new border.
public enum PaddingMode: Sendable {
  case constant(Double)
  case reflect
  case replicate

  /// Zero fill, which a convolution's own padding gives.
  public var isZero: Bool {
    if case .constant(let value) = self { return value == 0 }
    return false
  }

  var code: (Int32, Double) {
    switch self {
    case .constant(let v): (Int32(CT_PAD_CONSTANT.rawValue), v)
    case .reflect: (Int32(CT_PAD_REFLECT.rawValue), 0)
    case .replicate: (Int32(CT_PAD_REPLICATE.rawValue), 0)
    }
  }
}

/// Functional neural-network ops on (batch, channels, time…) tensors.
extension Tensor {
  /// x (batch, inChannels, time) ⊛ weight (outChannels, inChannels/groups, kernel) → (batch, outChannels, time').
  public func conv1d(_ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
                     groups: Int = 1) -> Tensor {
    must { try tryConv1d(weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups) }
  }

  public func tryConv1d(_ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                        dilation: Int = 1, groups: Int = 1) throws -> Tensor {
    try Tensor.make("conv1d") {
      ct_op_conv1d($0, handle, weight.handle, bias?.handle, Int64(stride), Int64(padding), Int64(dilation),
                   Int64(groups))
    }
  }

  /// x (batch, inChannels, h, w) ⊛ weight (outChannels, inChannels/groups, kh, kw). Pairs are (h, w).
  public func conv2d(_ weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                     dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
    must { try tryConv2d(weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups) }
  }

  public func tryConv2d(_ weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                        padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1) throws -> Tensor {
    let s = [Int64(stride.0), Int64(stride.1)]
    let p = [Int64(padding.0), Int64(padding.1)]
    let d = [Int64(dilation.0), Int64(dilation.1)]
    return try Tensor.make("conv2d") { ct_op_conv2d($0, handle, weight.handle, bias?.handle, s, p, d, Int64(groups)) }
  }

  /// x (batch, inChannels, time) with weight (inChannels, outChannels/groups, kernel) → (batch, outChannels,
  /// (time−1)·stride − 2·padding + dilation·(kernel−1) + outputPadding + 1).
  public func convTranspose1d(_ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                              outputPadding: Int = 0, groups: Int = 1, dilation: Int = 1) -> Tensor {
    must {
      try tryConvTranspose1d(weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding,
                             groups: groups, dilation: dilation)
    }
  }

  public func tryConvTranspose1d(_ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                                 outputPadding: Int = 0, groups: Int = 1, dilation: Int = 1) throws -> Tensor {
    try Tensor.make("conv_transpose1d") {
      ct_op_conv_transpose1d($0, handle, weight.handle, bias?.handle, Int64(stride), Int64(padding),
                             Int64(outputPadding), Int64(groups), Int64(dilation))
    }
  }

  /// A transposed convolution's weight (inChannels, outChannels, kernel) re-laid as its stride phase
  /// kernels (stride·outChannels, inChannels, ceil(kernel/stride)), for `convTranspose1d(phases:…)`.
  public func convTranspose1dPhases(stride: Int) throws -> Tensor {
    try Tensor.make("conv_transpose1d_phases") { ct_op_conv_transpose1d_phases($0, handle, Int64(stride)) }
  }

  /// What `convTranspose1d` gives with the weight whose `convTranspose1dPhases` are `phases` (groups and
  /// dilation 1): x (batch, inChannels, time) → (batch, outChannels, (time−1)·stride − 2·padding + kernel
  /// + outputPadding).
  public func convTranspose1d(phases: Tensor, bias: Tensor? = nil, stride: Int, kernel: Int, padding: Int = 0,
                              outputPadding: Int = 0) -> Tensor {
    must {
      try Tensor.make("conv_transpose1d_from_phases") {
        ct_op_conv_transpose1d_from_phases($0, handle, phases.handle, bias?.handle, Int64(stride), Int64(kernel),
                                           Int64(padding), Int64(outputPadding))
      }
    }
  }

  /// x (…, in) · weightᵀ (out, in) + bias → (…, out).
  public func linear(_ weight: Tensor, bias: Tensor? = nil) -> Tensor { must { try tryLinear(weight, bias: bias) } }

  public func tryLinear(_ weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
    try Tensor.make("linear") { ct_op_linear($0, handle, weight.handle, bias?.handle) }
  }

  /// Pads the trailing dimensions: `pads` = (lastLeft, lastRight, prevLeft, prevRight, …), as in
  /// torch.nn.functional.pad. Left and right may differ (Keras 'same' padding needs that).
  public func pad(_ pads: [Int], mode: PaddingMode = .constant(0)) -> Tensor { must { try tryPad(pads, mode: mode) } }

  public func tryPad(_ pads: [Int], mode: PaddingMode = .constant(0)) throws -> Tensor {
    let (code, value) = mode.code
    return try withInt64s(pads) { p, n in try Tensor.make("pad") { ct_op_pad($0, handle, p, n, code, value) } }
  }

  /// Average pooling over the last dimension of (batch, channels, time).
  public func avgPool1d(kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false,
                        countIncludePad: Bool = true) -> Tensor {
    must {
      try Tensor.make("avg_pool1d") {
        ct_op_avg_pool1d($0, handle, Int64(kernel), Int64(stride ?? kernel), Int64(padding), ceilMode ? 1 : 0,
                         countIncludePad ? 1 : 0)
      }
    }
  }
}
