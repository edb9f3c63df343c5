import Torch

/// A trained codec's weights for a codec whose latents are wider — the level-1 latent
/// (`latentChannels`), the level-2 vectors (`vectorChannels`), or both — everything else the same,
/// such that the wider codec starts out computing exactly what the trained one did: each latent's new
/// channels are made from fresh weights and read through weights at zero, so they change nothing until
/// training finds a use for them.
///
/// Why: the bundled codec's level 1 on game music plateaued about where a linear basis of 64
/// log-magnitude frames lands, and the original's own 22 kHz codec keeps 128 numbers per frame; a wider
/// latent trained from the old one keeps all that the old one learned. Level 2 then has more to pack
/// into each vector, and wider vectors start from the narrower level 2's weights the same way.
///
/// The tensors that hold a latent's width: its producers' outputs (rows; the new rows keep the wider
/// codec's fresh initialisation, the new biases start at zero) and its consumers' first convolution
/// (input columns; the new ones start at zero).
enum LatentWidening {
  /// Which latent a tensor's width belongs to, and whether the latent is its output or its input.
  enum Role { case produces, consumes }
  enum Latent { case level1, level2 }

  static let tensors: [String: (Latent, Role)] = [
    "encoder.out.weight": (.level1, .produces), "encoder.out.bias": (.level1, .produces),
    "latentDecoder.out.weight": (.level1, .produces), "latentDecoder.out.bias": (.level1, .produces),
    "decoder.g0.conv.weight": (.level1, .consumes), "latentEncoder.layers.0.conv.weight": (.level1, .consumes),
    "latentEncoder.out.weight": (.level2, .produces), "latentEncoder.out.bias": (.level2, .produces),
    "latentDecoder.layers.0.conv.weight": (.level2, .consumes),
  ]

  /// `trained`'s tensors with the latents grown from `trained`'s widths to `wider`'s; `fresh` is the
  /// wider codec's own (initialised) state, which gives the new rows.
  static func widen(_ weights: [String: Tensor], of trained: CodecConfig, to wider: CodecConfig,
                    fresh: [String: Tensor]) throws -> [String: Tensor] {
    let widths: [Latent: (from: Int, to: Int)] = [.level1: (trained.latentChannels, wider.latentChannels),
                                                   .level2: (trained.vectorChannels, wider.vectorChannels)]
    for (latent, width) in widths where width.to < width.from {
      throw MusikaError.invalidConfig("a codec's latent can only be widened (\(latent == .level1 ? "level 1" : "level 2"): "
        + "\(width.from) → \(width.to) channels)")
    }
    var widened = weights
    for (key, tensor) in weights {
      guard let target = fresh[key], target.shape != tensor.shape else { continue }
      guard let (latent, role) = tensors[key], let (from, to) = widths[latent], to > from else {
        throw MusikaError.invalidConfig("cannot widen \(key) from \(tensor.shape) to \(target.shape): only the latents' widths may differ")
      }
      let added = to - from
      switch role {
      case .produces where tensor.size(0) == from && target.size(0) == to:
        widened[key] = key.hasSuffix(".bias")
          ? Tensor.cat([tensor, Tensor.zeros([added], dtype: tensor.dtype)], dim: 0)
          : Tensor.cat([tensor, target.narrow(dim: 0, start: from, length: added).to(dtype: tensor.dtype)], dim: 0)
      case .consumes where tensor.rank == 3 && tensor.size(1) == from && target.size(1) == to:
        widened[key] = Tensor.cat([tensor, Tensor.zeros([tensor.size(0), added, tensor.size(2)], dtype: tensor.dtype)], dim: 1)
      default:
        throw MusikaError.invalidConfig("cannot widen \(key) from \(tensor.shape) to \(target.shape)")
      }
    }
    return widened
  }
}
