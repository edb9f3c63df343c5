import Torch

/// The original's `conv_util`: a convolution (or transposed convolution) with bias, then optional
/// noise injection, then swish. He-uniform initialisation, as in Keras.
/// Keys: `conv.weight`, `conv.bias`, `noise.strength`.
final class ConvUnit: Module, Layer {
  let conv: any Layer
  let noise: NoiseInjection?

  /// A convolution with Keras 'same' padding unless `valid`.
  init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, valid: Bool = false, noise: Bool) {
    conv = Conv1d(inChannels, outChannels, kernel: kernel,
                  .init(stride: stride, padding: valid ? .valid : .same, initializer: .heUniform))
    self.noise = noise ? NoiseInjection() : nil
  }

  /// A transposed convolution, kernel 4, stride 2, 'same': doubles the length.
  init(upsampling inChannels: Int, _ outChannels: Int, noise: Bool) {
    conv = ConvTranspose1d(inChannels, outChannels, kernel: 4,
                           .init(stride: 2, padding: .same, initializer: .heUniform))
    self.noise = noise ? NoiseInjection() : nil
  }

  /// (batch, inChannels, T) → (batch, outChannels, T'), for a unit without noise (the encoders').
  func callAsFunction(_ x: Tensor) -> Tensor {
    precondition(noise == nil, "ConvUnit: a unit with noise injection needs the pass's NoiseSource")
    return conv(x).silu()
  }

  /// (batch, inChannels, T) → (batch, outChannels, T'), the noise drawn from `source`.
  func callAsFunction(_ x: Tensor, noise source: NoiseSource) -> Tensor {
    let y = conv(x)
    if let noise, !TorchRuntime.isGradEnabled {
      // Decoding: noise and swish in place on the convolution's fresh output, one memory pass where
      // out-of-place ops make two more full-size tensors (with the in-place skip sums of
      // `SpectralDecoder`: generation 3–4 % faster, measured).
      let (strength, n) = noise.term(for: y, noise: source)
      y.addScaledSiLUInPlace(strength: strength, noise: n)
      return y
    }
    return (noise.map { $0(y, noise: source) } ?? y).silu()
  }
}
