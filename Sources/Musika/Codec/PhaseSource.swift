import Audio
import Foundation
import Torch

/// Where the decoded spectrogram's phase comes from.
///
/// `decoder`: DEC's phase head, read as its `PhaseRepresentation` says (the original's way).
/// `magnitude`: integrated from DEC's magnitude alone (`PhaseGradientIntegrator`, real-time phase
/// gradient heap integration). A convolutional phase head puts a tone between two bins on a bin
/// centre, up to half a bin off pitch; from the magnitude its frequency follows exactly.
public enum PhaseSource: String, Codable, Sendable, CaseIterable {
  case decoder
  case magnitude
}

extension SpectralCodec {
  /// DEC's magnitude output (channels, bins, frames) → natural-log magnitudes laid out (channels, frames, bins),
  /// row-major (what `PhaseGradientIntegrator` reads): |X| = 10^((σ·S + μ)/20), S clipped to [−1, 1].
  func logMagnitudes(_ magnitude: Tensor) -> [Double] {
    let decibels = magnitude.clamp(min: -1, max: 1).to(dtype: .float64) * config.sigma + config.mu
    return (decibels * (Foundation.log(10.0) / 20)).transposed(1, 2).contiguous().toArray(of: Double.self)
  }

  /// Phase angles (channels, bins, frames) float32 integrated from DEC's magnitude (channels, bins,
  /// frames), continuing `integrator`'s state; `next` (channels, bins, 1) is the magnitude of the frame
  /// after the last, nil at a piece's end.
  func integratedAngles(_ magnitude: Tensor, next: Tensor?, integrator: PhaseGradientIntegrator) -> Tensor {
    let (channels, bins, frames) = (magnitude.size(0), magnitude.size(1), magnitude.size(2))
    let angles = integrator.angles(logMagnitude: logMagnitudes(magnitude), frames: frames, next: next.map(logMagnitudes))
    return Tensor(angles, shape: [channels, frames, bins]).transposed(1, 2).contiguous()
  }
}
