import Foundation
import Torch

/// Teaches the decoder's phase head the frequency *within* an STFT bin, which the magnitude losses
/// cannot: a tone between two bins advances its phase by 2π·f·hop/rate per frame, not by the bin
/// centre's rate, and a phase head that advances at the centre rate puts the tone on the bin centre
/// (up to half a bin, a semitone near 300 Hz at 22.05 kHz, off). The absolute phase of music is
/// arbitrary (it depends on where the excerpt starts), so the loss compares phase *differences*:
///
/// - along time (the phase advance, i.e. instantaneous frequency): 1 − cos(Δₜφ̂ − Δₜφ);
/// - along frequency (the group delay, where an onset sits within the frame): 1 − cos(Δ_fφ̂ − Δ_fφ).
///
/// Each term is averaged with weights √(|X|·|X′|) of the input's two magnitudes, so that loud partials
/// count and the phase of bins holding only noise floor, which is meaningless, does not.
public struct PhaseDerivativeLoss: Sendable {
  public init() {}

  /// predicted: phase in radians (batch, bins, frames); target: the input's complex STFT, same shape.
  /// Returns (advance, groupDelay), two scalars in [0, 2].
  public func callAsFunction(predicted: Tensor, target: Tensor) -> (advance: Tensor, groupDelay: Tensor) {
    let phase = target.angle()
    let magnitude = target.abs()
    func term(dim: Int) -> Tensor {
      let n = predicted.size(dim) - 1
      let later = { (t: Tensor) in t.narrow(dim: dim, start: 1, length: n) }
      let earlier = { (t: Tensor) in t.narrow(dim: dim, start: 0, length: n) }
      let difference = (later(predicted) - earlier(predicted)) - (later(phase) - earlier(phase))
      let weight = (later(magnitude) * earlier(magnitude) + 1e-12).sqrt()
      return (weight * (1 - difference.cos())).sum() / (weight.sum() + 1e-12)
    }
    return (term(dim: 2), term(dim: 1))
  }
}
