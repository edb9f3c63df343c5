import Torch

/// Phase from magnitude alone (Griffin & Lim 1984): alternate between imposing the magnitude and
/// re-analysing the waveform. The reference point for a codec's phase: "true magnitude + 32
/// iterations" shows what magnitude-only reconstruction sounds like.
public struct GriffinLim: Sendable {
  public let stft: STFT
  public let iterations: Int

  public init(stft: STFT = STFT(), iterations: Int = 32) {
    self.stft = stft
    self.iterations = iterations
  }

  /// magnitude (channels, bins, frames) → signal (channels, (frames − 1)·hop + nFFT).
  public func callAsFunction(_ magnitude: Tensor, generator: Generator) throws -> Tensor {
    let inverse = InverseSTFT(stft: stft)
    var phase = Tensor.uniform(magnitude.shape, low: -Double.pi, high: Double.pi, generator: generator,
                               dtype: magnitude.dtype)
    var signal = inverse(Tensor.polar(magnitude: magnitude, phase: phase))
    for _ in 0..<iterations {
      phase = try stft(signal).angle()
      signal = inverse(Tensor.polar(magnitude: magnitude, phase: phase))
    }
    return signal
  }
}
