import Foundation
import Torch

/// How DEC's phase output P ∈ [−1, 1] becomes the STFT phase φ of each bin k and frame t.
///
/// `absolute` (the original's): φ(t) = π·P(t). A convolutional decoder is translation-equivariant and
/// DEC's strides repeat every 8 frames, so from a sustained tone's unchanging magnitudes it can only
/// make phases that repeat every 8 frames: frequencies on a grid of rate/(8·hop) Hz. Tones between
/// come back pulled to a bin centre (measured by `MidBinPitchProbe`).
///
/// `advance` (instantaneous frequency, as in GANSynth): P is how much faster than its centre
/// frequency bin k turns per frame, and the phase is its running sum,
/// φ(t) = φ(t−1) + 2π·((k·hop) mod nFFT)/nFFT + π·P(t), so a steady P is a steady in-between
/// frequency. The running sum is carried from span to span by `StreamingDecoder`.
public enum PhaseRepresentation: String, Codable, Sendable, CaseIterable {
  case absolute
  case advance
}

extension SpectralCodec {
  /// The representation this codec's DEC was trained with.
  public var phaseRepresentation: PhaseRepresentation { config.phase ?? .absolute }

  /// DEC's phase output (…, bins, frames) → phase angles in radians, same shape (float32, wrapped to
  /// [0, 2π) for `advance`). `start` (…, bins, 1) is the angle before the first frame (`advance`
  /// only; nil: 0); `last` is the last frame's angle, the next span's `start` (nil for `absolute`).
  /// Training passes `clip: false`, so that the gradient does not stop where DEC overshoots.
  public func phaseAngles(_ phase: Tensor, clip: Bool = true, start: Tensor? = nil) -> (angles: Tensor, last: Tensor?) {
    let p = clip ? phase.clamp(min: -1, max: 1) : phase
    switch phaseRepresentation {
    case .absolute:
      return (p * Double.pi, nil)
    case .advance:
      // In float64, so that the running sum of a long piece does not lose the fraction of a turn.
      let stft = frontEnd.stft
      let k = Tensor.arange(0, Double(stft.bins), dtype: .float64).reshape([stft.bins, 1])
      let centre = (k * Double(stft.hop)).remainder(Double(stft.nFFT)) * (2 * Double.pi / Double(stft.nFFT))
      var sum = (p.to(dtype: .float64) * Double.pi + centre).cumsum(dim: -1)
      if let start { sum = sum + start }
      let wrapped = sum.remainder(2 * Double.pi)
      let frames = wrapped.size(-1)
      return (wrapped.to(dtype: phase.dtype), wrapped.narrow(dim: wrapped.rank - 1, start: frames - 1, length: 1))
    }
  }
}
