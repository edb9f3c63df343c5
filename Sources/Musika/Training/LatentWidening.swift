import Torch

/// A trained codec's weights for a codec whose level-1 latent is wider (`latentChannels`), everything
/// else the same, such that the wider codec starts out computing exactly what the trained one did:
/// the latent's new channels are made by ENC (and by DEC2) from fresh weights, and read by DEC (and by
/// ENC2) through weights at zero, so they change nothing until training finds a use for them.
///
/// Why: the bundled codec's level 1 on game music plateaued about where a linear basis of 64
/// log-magnitude frames lands, and the original's own 22 kHz codec keeps 128 numbers per frame; a
/// wider latent trained from the old one keeps all that the old one learned.
///
/// Four tensors hold the latent's width: ENC's output and DEC2's output (rows: one per latent channel,
/// the new rows keep the wider codec's fresh initialisation, the new biases start at zero), DEC's first
/// convolution and ENC2's first convolution (input columns: the new ones start at zero).
enum LatentWidening {
  /// The keys whose first dimension (outputs) is the latent, and those whose second (inputs) is.
  static let producers: Set<String> = ["encoder.out.weight", "encoder.out.bias", "latentDecoder.out.weight", "latentDecoder.out.bias"]
  static let consumers: Set<String> = ["decoder.g0.conv.weight", "latentEncoder.layers.0.conv.weight"]

  /// `trained`'s tensors, those holding the latent's width grown from `from` to `to` channels;
  /// `fresh` is the wider codec's own (initialised) state, which gives the new rows.
  static func widen(_ trained: [String: Tensor], fresh: [String: Tensor], from: Int, to: Int) throws -> [String: Tensor] {
    guard to > from else {
      throw MusikaError.invalidConfig("a codec's latent can only be widened (\(from) → \(to) channels)")
    }
    var widened = trained
    for (key, tensor) in trained {
      guard let target = fresh[key], target.shape != tensor.shape else { continue }
      let added = to - from
      if producers.contains(key), tensor.size(0) == from, target.size(0) == to {
        widened[key] = key.hasSuffix(".bias")
          ? Tensor.cat([tensor, Tensor.zeros([added], dtype: tensor.dtype)], dim: 0)
          : Tensor.cat([tensor, target.narrow(dim: 0, start: from, length: added).to(dtype: tensor.dtype)], dim: 0)
      } else if consumers.contains(key), tensor.rank == 3, tensor.size(1) == from, target.size(1) == to {
        widened[key] = Tensor.cat([tensor, Tensor.zeros([tensor.size(0), added, tensor.size(2)], dtype: tensor.dtype)], dim: 1)
      } else {
        throw MusikaError.invalidConfig("cannot widen \(key) from \(tensor.shape) to \(target.shape): only the level-1 latent's width may differ")
      }
    }
    return widened
  }
}
