import Torch

/// A trained codec's weights for a wider codec — a wider level-1 latent (`latentChannels`), wider level-2
/// vectors (`vectorChannels`), wider level-2 networks (`latentEncoderWidths`, `latentDecoderWidths`), or
/// any of these together, every layer the same otherwise — such that the wider codec starts out computing
/// exactly what the trained one did: every new channel is made from fresh weights and read through
/// weights at zero, so it changes nothing until training finds a use for it.
///
/// Why: the bundled codec's level 1 on game music plateaued about where a linear basis of 64
/// log-magnitude frames lands, and the original's own 22 kHz codec keeps 128 numbers per frame; a wider
/// latent trained from the old one keeps all that the old one learned. Level 2 then has more to pack,
/// into wider vectors and through wider ENC2 and DEC2 (the bundled codec's run at half the original's
/// widths), which start from the narrower level 2's weights the same way.
///
/// One rule covers every convolution whose shape differs: its old output channels keep their weights
/// and read new input channels through zeros; its new output channels keep the wider codec's fresh
/// initialisation (their biases start at zero). A convolution's output channels are the weight's rows
/// (`Conv1d`, out × in × kernel) or its columns (`ConvTranspose1d`, in × out × kernel).
enum CodecWidening {
  /// `weights` (a trained codec's state dict) grown to `wider`'s shapes, whose
  /// own initialised state gives the new channels. Narrower tensors, or other kinds of change, throw.
  static func widen(_ weights: [String: Tensor], into wider: SpectralCodec) throws -> [String: Tensor] {
    let fresh = wider.stateDict()
    let modules = Dictionary(wider.namedModules(), uniquingKeysWith: { first, _ in first })
    var widened = weights
    for (key, tensor) in weights {
      guard let target = fresh[key], target.shape != tensor.shape else { continue }
      guard tensor.rank == target.rank, zip(tensor.shape, target.shape).allSatisfy({ $0 <= $1 }) else {
        throw MusikaError.invalidConfig("a codec can only be widened: \(key) would go from \(tensor.shape) to \(target.shape)")
      }
      let path = key.split(separator: ".").dropLast().joined(separator: ".")
      let isBias = key.hasSuffix(".bias")
      let outputDim: Int
      switch modules[path] {
      case let conv as Conv1d where conv.config.groups == 1: outputDim = 0
      case let conv as ConvTranspose1d where conv.config.groups == 1: outputDim = isBias ? 0 : 1
      default:
        throw MusikaError.invalidConfig("cannot widen \(key) from \(tensor.shape) to \(target.shape): only ungrouped convolutions grow")
      }
      let (from, to) = (tensor.size(outputDim), target.size(outputDim))
      if isBias {
        widened[key] = Tensor.cat([tensor, Tensor.zeros([to - from], dtype: tensor.dtype)], dim: 0)
        continue
      }
      let inputDim = 1 - outputDim
      guard tensor.size(2) == target.size(2) else {
        throw MusikaError.invalidConfig("cannot widen \(key) from \(tensor.shape) to \(target.shape): kernels differ")
      }
      // Zeros where old output channels meet new inputs: what the new channels carry reaches nothing until
      // training moves these weights, so the wider codec starts with the trained one's output.
      var kept = tensor
      let addedInputs = target.size(inputDim) - tensor.size(inputDim)
      if addedInputs > 0 {
        var zerosShape = tensor.shape
        zerosShape[inputDim] = addedInputs
        kept = Tensor.cat([tensor, Tensor.zeros(zerosShape, dtype: tensor.dtype)], dim: inputDim)
      }
      // The new output channels: the wider codec's fresh initialisation.
      widened[key] = to > from
        ? Tensor.cat([kept, target.narrow(dim: outputDim, start: from, length: to - from).to(dtype: tensor.dtype)], dim: outputDim)
        : kept
    }
    return widened
  }
}
