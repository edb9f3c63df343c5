import Torch

/// The short-time Fourier transform of Musika's front end: periodic Hann window, no centring and no
/// padding, so frame i covers samples [hop·i, hop·i + nFFT) and T frames span (T−1)·hop + nFFT samples.
public struct STFT: Sendable {
  public let nFFT: Int
  public let hop: Int

  /// Musika's 44.1 kHz setting is nFFT 1024, hop 256 (513 bins, 172.27 frames/s).
  public init(nFFT: Int = 1024, hop: Int = 256) {
    precondition(nFFT > 0 && hop > 0 && hop <= nFFT, "STFT: need 0 < hop ≤ nFFT")
    self.nFFT = nFFT
    self.hop = hop
  }

  public var bins: Int { nFFT / 2 + 1 }

  /// Frames that fit in `samples` samples (0 if fewer than one window).
  public func frameCount(samples: Int) -> Int {
    samples < nFFT ? 0 : (samples - nFFT) / hop + 1
  }

  /// Samples spanned by `frames` frames.
  public func sampleCount(frames: Int) -> Int {
    frames <= 0 ? 0 : (frames - 1) * hop + nFFT
  }

  /// signal (channels, samples) → complex spectrum (channels, bins, frames).
  public func callAsFunction(_ signal: Tensor) throws -> Tensor {
    let samples = signal.size(-1)
    guard samples >= nFFT else {
      throw AudioError.tooShort(samples: samples, needed: nFFT)
    }
    let window = Tensor.hannWindow(nFFT, periodic: true, dtype: signal.dtype, device: signal.device)
    return try signal.tryStft(nFFT: nFFT, hop: hop, window: window, center: false)
  }
}
