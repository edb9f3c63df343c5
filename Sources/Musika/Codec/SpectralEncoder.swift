import Torch

/// ENC, the level-1 encoder (reference §3): a per-frame MLP written as 1×1 convolutions, from a
/// normalised log-magnitude frame to a tanh-bounded latent. No time context, no noise.
///
///   bins → encoderWidth ×5 (swish) → latentChannels (tanh)
public final class SpectralEncoder: Module, Layer {
  let layers: [ConvUnit]
  let out: Conv1d

  public init(_ config: CodecConfig) {
    let w = config.encoderWidth
    layers = [ConvUnit(config.bins, w, kernel: 1, noise: false)]
      + (1..<5).map { _ in ConvUnit(w, w, kernel: 1, noise: false) }
    out = Conv1d(w, config.latentChannels, kernel: 1, .init(initializer: .heUniform))
  }

  /// (batch, bins, frames) → (batch, latentChannels, frames).
  public func callAsFunction(_ x: Tensor) -> Tensor {
    out(layers.reduce(x) { $1($0) }).tanh()
  }
}
