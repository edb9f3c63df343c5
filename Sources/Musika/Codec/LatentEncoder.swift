import Torch

/// ENC2, the level-2 encoder (reference §4): every 16 level-1 frames become one vector, each window
/// encoded on its own (valid convolutions shrink 16 → 7 → 3 → 1). No noise.
///
///   conv k3 → w0 (16) · conv k3 s2 valid → w1 (7) · conv k3 → w1 · conv k3 s2 valid → w2 (3)
///   · conv k3 → w2 · conv k3 valid → w3 (1) · conv 1×1 → w3 · conv 1×1 → vectorChannels (tanh)
public final class LatentEncoder: Module, Layer {
  let layers: [ConvUnit]
  let out: Conv1d
  let framesPerVector: Int

  public init(_ config: CodecConfig) {
    let w = config.latentEncoderWidths
    layers = [
      ConvUnit(config.latentChannels, w[0], kernel: 3, noise: false),
      ConvUnit(w[0], w[1], kernel: 3, stride: 2, valid: true, noise: false),
      ConvUnit(w[1], w[1], kernel: 3, noise: false),
      ConvUnit(w[1], w[2], kernel: 3, stride: 2, valid: true, noise: false),
      ConvUnit(w[2], w[2], kernel: 3, noise: false),
      ConvUnit(w[2], w[3], kernel: 3, valid: true, noise: false),
      ConvUnit(w[3], w[3], kernel: 1, noise: false),
    ]
    out = Conv1d(w[3], config.vectorChannels, kernel: 1, .init(initializer: .heUniform))
    framesPerVector = config.framesPerVector
  }

  /// (batch, latentChannels, frames), frames a multiple of 16 → (batch, vectorChannels, frames/16).
  public func callAsFunction(_ x: Tensor) -> Tensor {
    let (batch, channels, frames) = (x.size(0), x.size(1), x.size(2))
    precondition(frames % framesPerVector == 0, "LatentEncoder: \(frames) frames is not a multiple of \(framesPerVector)")
    let vectors = frames / framesPerVector
    // (B, C, V·16) → (B·V, C, 16): each window is a batch item.
    let windows = x.reshape(batch, channels, vectors, framesPerVector).permute(0, 2, 1, 3)
      .reshape(batch * vectors, channels, framesPerVector)
    let encoded = out(layers.reduce(windows) { $1($0) }).tanh()  // (B·V, vectorChannels, 1)
    return encoded.reshape(batch, vectors, -1).permute(0, 2, 1)
  }
}
