import Torch

/// DEC2, the level-2 decoder (reference §4): vectors back to level-1 latent frames, ×16 in time.
/// Every layer but the last has noise injection and swish; the output is linear.
///
///   conv k3 → w0 · up → w1 · conv k3 → w1 · up → w2 · conv k3 → w2 · up → w3 · up → w4
///   · conv 1×1 → latentChannels
/// At 4 vectors in: 4 → 8 → 16 → 32 → 64 frames.
public final class LatentDecoder: Module {
  let layers: [ConvUnit]
  let out: Conv1d

  public init(_ config: CodecConfig) {
    let w = config.latentDecoderWidths
    layers = [
      ConvUnit(config.vectorChannels, w[0], kernel: 3, noise: true),
      ConvUnit(upsampling: w[0], w[1], noise: true),
      ConvUnit(w[1], w[1], kernel: 3, noise: true),
      ConvUnit(upsampling: w[1], w[2], noise: true),
      ConvUnit(w[2], w[2], kernel: 3, noise: true),
      ConvUnit(upsampling: w[2], w[3], noise: true),
      ConvUnit(upsampling: w[3], w[4], noise: true),
    ]
    out = Conv1d(w[4], config.latentChannels, kernel: 1, .init(initializer: .heUniform))
  }

  /// How far an output frame reaches into the input, in vectors (3.625 for the original's layers).
  public var receptiveRadius: Double { ReceptiveField.radius(of: layers.map(\.conv) + [out]) }

  /// (batch, vectorChannels, vectors) → (batch, latentChannels, vectors·16).
  public func callAsFunction(_ x: Tensor, noise: NoiseSource) -> Tensor {
    out(layers.reduce(x) { $1($0, noise: noise) })
  }
}
