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
    let x = latents.rank == 2 ? latents.unsqueeze(0) : latents
    let length = x.size(2)
    guard length > segment else { return ratio(x) }
    let pieces = (0..<(length / segment)).map { ratio(x.narrow(dim: 2, start: $0 * segment, length: segment)) }
    return pieces.reduce(0, +) / Double(pieces.count)
  }

  /// (batch, channels, vectors) → the ratio over the whole length.
  private static func ratio(_ latents: Tensor) -> Double {
    withNoGrad {
      let x = latents.to(dtype: .float64)
      let length = x.size(2)
      let centred = x - x.mean(dims: [2], keepDim: true)
      let sign = Tensor((0..<length).map { $0 % 2 == 0 ? Float(1) : -1 }, shape: [1, 1, length]).to(dtype: .float64)
      let nyquist = (centred * sign).sum(dims: [2]).pow(2)  // (batch, channels)
      let total = centred.pow(2).sum(dims: [2])  // mean bin power: T·Σx²/T
      return (nyquist / (total + 1e-12)).mean().item()
    }
  }
}

/// The level of generated audio at generator-window boundaries against elsewhere (issue 12 saw a dip
/// at every boundary): 10·log10 of the mean power within `radius` samples of each boundary over the
/// mean power elsewhere; negative is quieter at the boundaries.
public enum WindowBoundaryLevel {
  /// audio (channels, samples); a boundary every `period` samples (the first at `period`).
  public static func decibels(_ audio: Tensor, period: Int, radius: Int) -> Double {
    let power = withNoGrad { audio.to(dtype: .float64).square().mean(dims: [0]) }.toArray(of: Double.self)
    var near = (sum: 0.0, count: 0)
    var far = (sum: 0.0, count: 0)
    for (i, p) in power.enumerated() {
      let offset = i % period
      let atBoundary = i >= period - radius && (offset < radius || offset >= period - radius)
      if atBoundary { near = (near.sum + p, near.count + 1) } else { far = (far.sum + p, far.count + 1) }
    }
    guard near.count > 0, far.count > 0, far.sum > 0 else { return 0 }
    return 10 * log10(max(near.sum / Double(near.count), 1e-20) / (far.sum / Double(far.count)))
  }
}
