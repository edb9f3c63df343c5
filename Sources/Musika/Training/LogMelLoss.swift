import Audio
import Foundation
import Torch

/// L1 between log10 mel powers of two normalised log-magnitude spectrograms: the measure that
/// `musika codec eval` reports, applied to the decoder's magnitude. A plain L1 over the 513 linear
/// bins spends almost all its weight above 4 kHz (where 90 % of the bins lie at 44.1 kHz); on the mel
/// scale half the bands lie below 2 kHz, where pitch is heard, so this term is what keeps pitch.
struct LogMelLoss {
  let frontEnd: SpectralFrontEnd
  /// (bands, bins)
  let filters: Tensor

  init(frontEnd: SpectralFrontEnd, sampleRate: Int, bands: Int = 128) {
    self.frontEnd = frontEnd
    filters = MelFilterbank(sampleRate: sampleRate, nFFT: frontEnd.stft.nFFT, bands: bands).matrix()
  }

  /// Normalised log-magnitude (…, bins, frames) → log10 mel power (…, bands, frames), floored at −100 dB.
  func logMel(_ normalized: Tensor) -> Tensor {
    let decibels = normalized * frontEnd.sigma + frontEnd.mu
    let power = (decibels * (Foundation.log(10.0) / 10)).exp()
    return filters.matmul(power).maximum(1e-10).log10()
  }

  /// predicted, target: (batch, bins, frames) → scalar.
  func callAsFunction(_ predicted: Tensor, _ target: Tensor) -> Tensor {
    (logMel(predicted) - logMel(target)).abs().mean()
  }
}
