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

/// The level of generated audio at generator-window boundaries against elsewhere (issue 12 saw a dip
/// at every boundary): 10·log10 of the mean power within `radius` samples of each boundary over the
/// mean power elsewhere; negative is quieter at the boundaries.
///
/// Over several pieces, pool the powers (`pooledDecibels`) rather than average each piece's decibels:
/// a piece's ratio is noisy (piano: a loud chord by a boundary or not), and the mean of noisy
/// logarithms sits below the logarithm of the mean (Jensen): the 18 held-out piano renders, which have
/// no boundaries, average −0.23 dB that way (README, `musika analyze`).
public enum WindowBoundaryLevel {
  /// Mean power per sample within `radius` of the boundaries (`near`) and elsewhere (`far`).
  public struct Powers: Sendable, Equatable {
    public var near: Double
    public var far: Double
    public var decibels: Double { far > 0 ? 10 * log10(max(near, 1e-20) / far) : 0 }  // silence: no dip
  }

  /// audio (channels, samples); a boundary every `period` samples (the first at `period`); the audio
  /// after its last whole period is left out. nil when it holds no boundary (shorter than two periods)
  /// or `radius` leaves nothing between boundaries.
  public static func decibels(_ audio: Tensor, period: Int, radius: Int) -> Double? {
    powers(audio, period: period, radius: radius)?.decibels
  }

  /// The two mean powers behind `decibels`, for pooling over pieces.
  public static func powers(_ audio: Tensor, period: Int, radius: Int) -> Powers? {
    let periods = audio.size(1) / period
    guard periods >= 2, 2 * radius < period else { return nil }
    return withNoGrad {
      // (periods, period): boundary k sits between row k − 1's last and row k's first `radius` samples.
      let power = audio.to(dtype: .float64).square().mean(dims: [0]).narrow(dim: 0, start: 0, length: periods * period)
        .reshape(periods, period)
      let before = power.narrow(dim: 0, start: 0, length: periods - 1).narrow(dim: 1, start: period - radius, length: radius)
      let after = power.narrow(dim: 0, start: 1, length: periods - 1).narrow(dim: 1, start: 0, length: radius)
      let nearSum = before.sum().item() + after.sum().item()
      let nearCount = Double(2 * radius * (periods - 1))
      let farMean = (power.sum().item() - nearSum) / (Double(periods * period) - nearCount)
      return Powers(near: nearSum / nearCount, far: farMean)
    }
  }

  /// The level over several pieces, each weighted alike: 10·log10 of the mean of their `near` powers
  /// over the mean of their `far` ones. nil for none.
  public static func pooledDecibels(_ pieces: [Powers]) -> Double? {
    guard !pieces.isEmpty else { return nil }
    let n = Double(pieces.count)
    return Powers(near: pieces.map(\.near).reduce(0, +) / n, far: pieces.map(\.far).reduce(0, +) / n).decibels
  }
}
