import Foundation
import Torch

/// The level of generated audio at generator-window boundaries against elsewhere (issue 12 saw a dip
/// at every boundary): 10·log10 of the mean power within `radius` samples of each boundary over the
/// mean power elsewhere; negative is quieter at the boundaries.
///
/// Over several pieces, `pooledDecibels` pools the powers before the ratio. A piece's ratio is noisy
/// (piano: a loud chord by a boundary or not) and the mean of noisy logarithms sits below the logarithm
/// of the mean (Jensen): the 18 held-out piano renders, which have no boundaries, average −0.23 dB as
/// figures and +0.16 dB pooled. The pooled figure leans on the loudest pieces instead, so `musika
/// analyze` prints both (README).
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
