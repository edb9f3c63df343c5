import Foundation
import Torch

/// How much of a latent sequence's energy sits at a period of exactly two vectors, the pattern a
/// transposed-convolution generator can leave (the techno model's 161.5 BPM "tempo"): the power of
/// the DFT bin at the Nyquist frequency, Σₜ(−1)ᵗ·(xₜ − x̄), relative to the mean power of all bins
/// (Parseval: T·Σₜ(xₜ − x̄)² / T), averaged over channels and over consecutive segments of `segment`
/// vectors (so that sequences of any length compare: a steady pattern's bin grows with the length it
/// is measured over). White noise scores about 1, a smooth sequence well under 1, a checkerboard far above.
public enum LatentPeriodicity {
  /// Vectors per measured segment.
  public static let segment = 64

  /// latents (channels, vectors) or (batch, channels, vectors) → the period-2 power ratio.
  public static func period2Ratio(_ latents: Tensor) -> Double {
    withNoGrad {
      var x = (latents.rank == 2 ? latents.unsqueeze(0) : latents).to(dtype: .float64)
      let (batch, channels, length) = (x.size(0), x.size(1), x.size(2))
      // (batch, channels, segments, segment): whole segments only, or the whole sequence if shorter.
      let size = min(segment, length)
      x = x.narrow(dim: 2, start: 0, length: length / size * size).reshape(batch, channels, length / size, size)
      let centred = x - x.mean(dims: [3], keepDim: true)
      let sign = Tensor((0..<size).map { $0 % 2 == 0 ? Float(1) : -1 }, shape: [size]).to(dtype: .float64)
      let nyquist = (centred * sign).sum(dims: [3]).pow(2)  // (batch, channels, segments)
      let total = centred.pow(2).sum(dims: [3])  // mean bin power: T·Σx²/T
      return (nyquist / (total + 1e-12)).mean().item()
    }
  }

  /// The period-2 pattern that a power spectrum misses: vectors that come in pairs (a nearest-
  /// neighbour ×2 upsampling repeats each step twice, then smooths). The mean squared step inside
  /// the pairs (x₂ₖ → x₂ₖ₊₁) over that across them (x₂ₖ₊₁ → x₂ₖ₊₂): about 1 for music, whose pulse
  /// has no reason to follow the vector grid; well under 1 when vectors pair up (x₂ₖ ≈ x₂ₖ₊₁), well
  /// over 1 when they pair up one vector later. latents (channels, vectors) or (batch, channels, vectors).
  public static func pairingRatio(_ latents: Tensor) -> Double {
    withNoGrad {
      let x = (latents.rank == 2 ? latents.unsqueeze(0) : latents).to(dtype: .float64)
      let (batch, channels, length) = (x.size(0), x.size(1), x.size(2))
      let pairs = (length - 1) / 2
      guard pairs >= 1 else { return 1 }
      // Steps xₜ₊₁ − xₜ as (…, pairs, 2): [0] inside a pair (t even), [1] across to the next.
      let steps = (x.narrow(dim: 2, start: 1, length: 2 * pairs) - x.narrow(dim: 2, start: 0, length: 2 * pairs))
        .reshape(batch, channels, pairs, 2).square().mean(dims: [0, 1, 2]).toArray(of: Double.self)
      return steps[0] / max(steps[1], 1e-20)
    }
  }
}
