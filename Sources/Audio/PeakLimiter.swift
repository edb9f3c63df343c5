/// A look-ahead peak limiter, used instead of hard clipping when audio is written. Where the peak
/// (over channels) would exceed `ceiling`, the gain ramps down over `lookahead` samples before it and
/// back up after it; the gain at every sample is at most ceiling/|x|, so nothing clips, and audio
/// that stays below the ceiling passes through unchanged.
public struct PeakLimiter: Sendable {
  public let ceiling: Float
  public let lookahead: Int

  /// ceiling 0.98 ≈ −0.18 dBFS; lookahead 220 samples = 5 ms at 44.1 kHz.
  public init(ceiling: Float = 0.98, lookahead: Int = 220) {
    precondition(ceiling > 0 && lookahead >= 1)
    self.ceiling = ceiling
    self.lookahead = lookahead
  }

  /// Limits interleaved samples with `channels` channels in place; returns the smallest gain applied.
  @discardableResult
  public func apply(_ samples: inout [Float], channels: Int) -> Float {
    let frames = samples.count / channels
    guard frames > 0 else { return 1 }
    // Target gain per frame.
    var target = [Float](repeating: 1, count: frames)
    var any = false
    for f in 0..<frames {
      var peak: Float = 0
      for c in 0..<channels { peak = max(peak, Swift.abs(samples[f * channels + c])) }
      if peak > ceiling {
        target[f] = ceiling / peak
        any = true
      }
    }
    guard any else { return 1 }
    // Minimum over the next `lookahead` frames (monotonic deque), then a moving average over the
    // previous `lookahead` frames: each averaged value is a minimum over a window containing the
    // current frame, so the smoothed gain never exceeds the target.
    let l = lookahead
    var ahead = [Float](repeating: 1, count: frames)
    var deque: [Int] = []
    var head = 0
    var next = 0
    for f in 0..<frames {
      while next < frames && next <= f + l {
        while deque.count > head && target[deque[deque.count - 1]] >= target[next] { deque.removeLast() }
        deque.append(next)
        next += 1
      }
      while deque[head] < f { head += 1 }
      ahead[f] = target[deque[head]]
    }
    var smoothed = [Float](repeating: 1, count: frames)
    var sum: Double = 0
    for f in 0..<frames {
      sum += Double(ahead[f])
      if f > l { sum -= Double(ahead[f - l - 1]) }
      // Before the window fills, the missing frames count as gain 1 would overshoot; use the
      // frames present.
      smoothed[f] = Float(sum / Double(min(f + 1, l + 1)))
    }
    var lowest: Float = 1
    for f in 0..<frames {
      let g = min(smoothed[f], target[f])
      lowest = min(lowest, g)
      for c in 0..<channels { samples[f * channels + c] *= g }
    }
    return lowest
  }
}
