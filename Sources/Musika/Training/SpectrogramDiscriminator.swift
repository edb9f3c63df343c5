import Torch

/// A 2-D convolutional critic on a log-magnitude spectrogram at one STFT resolution (as in
/// UnivNet/DAC's multi-resolution discriminators). Returns its logits and its intermediate features
/// (for feature matching).
final class SpectrogramDiscriminator: Module {
  let nFFT: Int
  let hop: Int
  let layers: [Conv2d]
  let out: Conv2d

  init(nFFT: Int, hop: Int, width: Int) {
    self.nFFT = nFFT
    self.hop = hop
    layers = [
      Conv2d(1, width, kernel: (7, 5), .init(stride: (2, 2), padding: (3, 2))),
      Conv2d(width, width, kernel: (5, 3), .init(stride: (2, 1), padding: (2, 1))),
      Conv2d(width, width, kernel: (5, 3), .init(stride: (2, 2), padding: (2, 1))),
      Conv2d(width, width, kernel: (3, 3), .init(stride: (2, 1), padding: (1, 1))),
    ]
    out = Conv2d(width, 1, kernel: (3, 3), .init(padding: (1, 1)))
  }

  /// waveform (batch, samples) → (logits (batch, 1, f, t), features).
  func callAsFunction(_ waveform: Tensor) -> (logits: Tensor, features: [Tensor]) {
    let window = Tensor.hannWindow(nFFT, dtype: waveform.dtype, device: waveform.device)
    let magnitude = (waveform.stft(nFFT: nFFT, hop: hop, window: window).abs().square() + 1e-7).log() * 0.1
    var x = magnitude.unsqueeze(1)  // (batch, 1, bins, frames)
    var features: [Tensor] = []
    for layer in layers {
      x = layer(x).leakyRelu(0.2)
      features.append(x)
    }
    return (out(x), features)
  }
}

/// Critics at three resolutions.
final class MultiResolutionDiscriminator: Module {
  let critics: [SpectrogramDiscriminator]

  init(width: Int) {
    critics = [(512, 128), (1024, 256), (2048, 512)].map { SpectrogramDiscriminator(nFFT: $0.0, hop: $0.1, width: width) }
  }

  func callAsFunction(_ waveform: Tensor) -> [(logits: Tensor, features: [Tensor])] {
    critics.map { $0(waveform) }
  }
}
