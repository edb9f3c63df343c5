import Foundation
import Torch

/// Musika's spectrogram normalisation (reference §2): power in dB, floored at −100 dB, then
/// standardised, S = (10·log10(max(|X|², 1e-10)) − μ) / σ, with μ = −25 and σ = 75 for the original.
/// The floor maps to exactly −1 and a full-scale sine to about +0.98. Phase is not encoded.
/// Codecs with another μ and σ (a higher floor: `CodecConfig.withFloor`) clamp at −1 too, as the
/// decoder's output cannot go below it.
public struct SpectralFrontEnd: Sendable {
  public let stft: STFT
  public let mu: Double
  public let sigma: Double
  /// Decibels added to each bin's level when synthesising, (bins, 1) float32; nil for none. Analysis
  /// does not see it: it corrects the level that decoding loses (`CodecConfig.equalizationDb`). Nor
  /// does the phase integrated from a decoder's magnitude, which reads the magnitude before it (the
  /// curve is smooth across bins, and calibration measures the whole chain).
  public let equalization: Tensor?

  public init(stft: STFT = STFT(), mu: Double = -25, sigma: Double = 75, equalizationDb: [Double]? = nil) {
    self.stft = stft
    self.mu = mu
    self.sigma = sigma
    equalization = equalizationDb.map { Tensor($0.map(Float.init), shape: [$0.count, 1]) }
  }

  /// signal (channels, samples) → normalised log-magnitude (channels, bins, frames).
  public func analyze(_ signal: Tensor) throws -> Tensor {
    normalizedLogMagnitude(try stft(signal))
  }

  /// complex spectrum (…, bins, frames) → normalised log-magnitude, same shape.
  public func normalizedLogMagnitude(_ spectrum: Tensor) -> Tensor {
    let power = spectrum.abs().square().maximum(1e-10)
    return ((power.log10() * 10 - mu) / sigma).maximum(-1)
  }

  /// Decoder outputs (both in [−1, 1], clipped here) → complex spectrum:
  /// |X| = √(10^((σ·S + μ)/10) + 1e-7), φ = π·P.
  /// magnitude, phase: (…, bins, frames). Training passes `clipPhase: false`: phase is periodic, and
  /// clipping it would stop its gradient where the decoder overshoots.
  public func spectrum(magnitude: Tensor, phase: Tensor, clipPhase: Bool = true) -> Tensor {
    spectrum(magnitude: magnitude, angles: (clipPhase ? phase.clamp(min: -1, max: 1) : phase) * Double.pi)
  }

  /// Decoder magnitude (…, bins, frames), clipped to [−1, 1] → power in dB (σ·S + μ), same shape.
  public func decibels(_ magnitude: Tensor) -> Tensor {
    magnitude.clamp(min: -1, max: 1) * sigma + mu
  }

  /// Decoder magnitude (clipped to [−1, 1] here) and phase angles in radians → complex spectrum, with
  /// the output equalisation. magnitude, angles: (…, bins, frames).
  public func spectrum(magnitude: Tensor, angles: Tensor) -> Tensor {
    spectrum(magnitude: magnitude, angles: angles, equalization: equalization)
  }

  /// As `spectrum(magnitude:angles:)`, both laid out (…, frames, bins), as `InverseSTFT.signal(framesMajor:)`
  /// reads them.
  public func framesMajorSpectrum(magnitude: Tensor, angles: Tensor) -> Tensor {
    spectrum(magnitude: magnitude, angles: angles, equalization: equalization?.transposed(0, 1))
  }

  private func spectrum(magnitude: Tensor, angles: Tensor, equalization: Tensor?) -> Tensor {
    var level = decibels(magnitude)
    if let equalization { level = level.to(dtype: .float32) + equalization }  // hundredths of a dB: not in bf16
    let linear = (level * (Foundation.log(10.0) / 10)).exp() + 1e-7  // 10^(dB/10)
    return Tensor.polar(magnitude: linear.sqrt(), phase: angles)
  }
}
