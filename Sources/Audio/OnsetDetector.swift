import Foundation
import Torch

/// Note onsets by spectral flux with adaptive peak picking, and the onset-strength envelope that the
/// tempo estimator reads.
///
/// Strength: mono mix → STFT (centred frames, frame i at sample hop·i) → mel power in dB, floored
/// 80 dB below the loudest bin → half-wave rectified frame-to-frame increase, averaged over bands.
/// An onset is a frame whose strength is the largest within ±`peakWindow`, exceeds the mean within
/// ±`averageWindow` by `threshold` (of the envelope's range), and lies at least `minimumGap` after
/// the previous onset.
public struct OnsetDetector: Sendable {
  public let sampleRate: Int
  public let nFFT: Int
  public let hop: Int
  /// Seconds either side of a peak within which it must be the largest value.
  public var peakWindow = 0.03
  /// Seconds either side of a peak over which the local mean is taken.
  public var averageWindow = 0.1
  /// How far above the local mean a peak must stand, as a share of the envelope's range.
  public var threshold = 0.07
  /// Shortest time between two onsets, in seconds.
  public var minimumGap = 0.03
  private let mel: MelFilterbank

  /// The defaults analyse 22.05 kHz audio in 5.8 ms steps: fine enough for tempo within 1 %.
  public init(sampleRate: Int = 22_050, nFFT: Int = 1024, hop: Int = 128, bands: Int = 64) {
    self.sampleRate = sampleRate
    self.nFFT = nFFT
    self.hop = hop
    mel = MelFilterbank(sampleRate: sampleRate, nFFT: nFFT, bands: bands)
  }

  /// Strength frames per second.
  public var framesPerSecond: Double { Double(sampleRate) / Double(hop) }

  /// signal (channels, samples) at `sampleRate` → onset strength, one value per frame (frame i is
  /// the increase from frame i − 1 to frame i, at hop·i samples).
  public func strength(_ signal: Tensor) throws -> [Float] {
    guard signal.rank == 2, signal.size(1) > nFFT else {
      throw AudioError.tooShort(samples: signal.rank == 2 ? signal.size(1) : 0, needed: nFFT + 1)
    }
    return withNoGrad {
      let mono = signal.to(dtype: .float32).mean(dims: [0], keepDim: true)  // (1, samples)
      let decibels = mel.power(mono, hop: hop).maximum(1e-10).log10() * 10  // (1, bands, T)
      let floored = decibels.maximum(decibels.amax().item() - 80)
      let frames = floored.size(2)
      let rise = (floored.narrow(dim: 2, start: 1, length: frames - 1) - floored.narrow(dim: 2, start: 0, length: frames - 1))
        .relu().mean(dims: [0, 1])  // (T − 1)
      return [0] + rise.toArray(of: Float.self)
    }
  }

  /// Onset times in seconds of signal (channels, samples) at `sampleRate`.
  public func onsets(in signal: Tensor) throws -> [Double] {
    onsets(strength: try strength(signal))
  }

  /// Onset times in seconds from a strength envelope made by `strength(_:)`.
  public func onsets(strength envelope: [Float]) -> [Double] {
    guard let low = envelope.min(), let high = envelope.max(), high > low else { return [] }
    let x = envelope.map { Double(($0 - low) / (high - low)) }
    let fps = framesPerSecond
    let peak = max(1, Int((peakWindow * fps).rounded()))
    let average = max(1, Int((averageWindow * fps).rounded()))
    let gap = Int((minimumGap * fps).rounded())
    // Running sums make each local mean O(1).
    var prefix = [0.0]
    prefix.reserveCapacity(x.count + 1)
    for v in x { prefix.append(prefix.last! + v) }
    var times: [Double] = []
    var last = Int.min / 2
    for i in x.indices where i - last > gap {
      let lo = max(0, i - peak), hi = min(x.count - 1, i + peak)
      guard x[i] > 0, x[lo...hi].allSatisfy({ $0 <= x[i] }) else { continue }
      let a = max(0, i - average), b = min(x.count, i + average + 1)
      guard x[i] >= (prefix[b] - prefix[a]) / Double(b - a) + threshold else { continue }
      times.append(Double(i) / fps)
      last = i
    }
    return times
  }

  /// Onsets per second around each of `count` points spaced `step` seconds apart (point k at
  /// (k + ½)·step): the onsets within ±`halfWindow` seconds of it, divided by the window's length.
  public static func density(onsets: [Double], count: Int, step: Double, halfWindow: Double = 1) -> [Double] {
    (0..<count).map { k in
      let centre = (Double(k) + 0.5) * step
      let lo = lowerBound(onsets, centre - halfWindow)
      let hi = lowerBound(onsets, centre + halfWindow)
      return Double(hi - lo) / (2 * halfWindow)
    }
  }

  /// First index whose value is ≥ `value` in sorted `values`.
  private static func lowerBound(_ values: [Double], _ value: Double) -> Int {
    var (lo, hi) = (0, values.count)
    while lo < hi {
      let mid = (lo + hi) / 2
      if values[mid] < value { lo = mid + 1 } else { hi = mid }
    }
    return lo
  }
}
