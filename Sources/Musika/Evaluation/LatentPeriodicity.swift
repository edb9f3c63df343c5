import Foundation
import Torch

/// How much of a latent sequence's energy sits at a period of exactly two vectors, the pattern a
/// transposed-convolution generator can leave (the techno model's 161.5 BPM "tempo"): the power of
/// the DFT bin at the Nyquist frequency, Σₜ(−1)ᵗ·(xₜ − x̄), relative to the mean power of all bins
/// (Parseval: T·Σₜ(xₜ − x̄)² / T), averaged over channels. White noise scores about 1, a smooth sequence
/// well under 1, a checkerboard far above.
public enum LatentPeriodicity {
  /// latents (channels, vectors) or (batch, channels, vectors) → the period-2 power ratio.
  public static func period2Ratio(_ latents: Tensor) -> Double {
    withNoGrad {
      let x = (latents.rank == 2 ? latents.unsqueeze(0) : latents).to(dtype: .float64)
      let length = x.size(2)
      let centred = x - x.mean(dims: [2], keepDim: true)
      let sign = Tensor((0..<length).map { $0 % 2 == 0 ? Float(1) : -1 }, shape: [1, 1, length]).to(dtype: .float64)
      let nyquist = (centred * sign).sum(dims: [2]).pow(2)  // (batch, channels)
      let total = centred.pow(2).sum(dims: [2])  // mean bin power: T·Σx²/T
      return (nyquist / (total + 1e-12)).mean().item()
    }
  }
}
