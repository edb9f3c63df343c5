/// A look-ahead peak limiter, used instead of hard clipping wherever audio leaves the engine (files,
/// pipes, the studio). Where the peak (over channels) would exceed `ceiling`, the gain ramps down over
/// `lookahead` samples before it and back up after it; the gain at every sample is at most
/// ceiling/|x|, so nothing clips, and audio that stays below the ceiling passes through unchanged.
///
/// There is one implementation, `StreamingPeakLimiter`; `apply` runs it over a whole buffer. So a
/// stream limited chunk by chunk and the same audio limited at once give the same samples, bit for bit.
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
    // Audio below the ceiling everywhere comes out unchanged (gain exactly 1), so skip the work.
    guard samples.contains(where: { Swift.abs($0) > ceiling }) else { return 1 }
    var streaming = StreamingPeakLimiter(self, channels: channels)
    let limited = streaming.process(samples) + streaming.finish()
    samples = limited
    return streaming.lowestGain
  }
}

/// The limiter over a stream that arrives in chunks: `process` returns the audio delayed by
/// `lookahead` frames (it must see what comes before it lowers the gain), `finish` the rest.
///
/// Per frame f: target(f) = min(1, ceiling / peak(f)); ahead(f) = the minimum target over frames
/// f…f+lookahead (a monotonic deque); the gain is the mean of ahead over frames f−lookahead…f (fewer at
/// the start), capped by target(f). Each mean is a mean of minima over windows that contain f, so it
/// never exceeds target(f) by much, and the cap makes it exact.
public struct StreamingPeakLimiter: Sendable {
  public let limiter: PeakLimiter
  public let channels: Int
  /// The smallest gain applied so far.
  public private(set) var lowestGain: Float = 1

  /// Interleaved samples of the frames not yet emitted, and their targets.
  private var pending: [Float] = []
  private var targets: [Float] = []
  /// Absolute index of the first pending frame (= frames emitted), and of the next frame to enter the
  /// deque.
  private var emitted = 0
  private var enqueued = 0
  private var deque: [Int] = []
  private var dequeHead = 0
  /// ahead(f) of the last lookahead+1 frames, by f mod (lookahead+1), and their running sum.
  private var aheadRing: [Float]
  private var sum: Double = 0

  public init(_ limiter: PeakLimiter = PeakLimiter(), channels: Int) {
    precondition(channels >= 1)
    self.limiter = limiter
    self.channels = channels
    aheadRing = [Float](repeating: 1, count: limiter.lookahead + 1)
  }

  /// Adds interleaved samples; returns the limited samples of every frame whose look-ahead is complete.
  public mutating func process(_ interleaved: [Float]) -> [Float] {
    precondition(interleaved.count % channels == 0, "a chunk must hold whole frames")
    pending.append(contentsOf: interleaved)
    for f in 0..<(interleaved.count / channels) {
      var peak: Float = 0
      for c in 0..<channels { peak = max(peak, Swift.abs(interleaved[f * channels + c])) }
      targets.append(peak > limiter.ceiling ? limiter.ceiling / peak : 1)
    }
    return emit(through: emitted + targets.count - limiter.lookahead)
  }

  /// The limited samples of the frames still held back (the stream has ended).
  public mutating func finish() -> [Float] {
    emit(through: emitted + targets.count)
  }

  /// Emits frames up to (not including) absolute index `end`.
  private mutating func emit(through end: Int) -> [Float] {
    let received = emitted + targets.count
    let count = max(0, end - emitted)
    guard count > 0 else { return [] }
    let l = limiter.lookahead
    var out = [Float](repeating: 0, count: count * channels)
    for k in 0..<count {
      let f = emitted + k
      while enqueued < received && enqueued <= f + l {
        let value = targets[enqueued - emitted]
        while deque.count > dequeHead && targets[deque[deque.count - 1] - emitted] >= value { deque.removeLast() }
        deque.append(enqueued)
        enqueued += 1
      }
      while deque[dequeHead] < f { dequeHead += 1 }
      let ahead = targets[deque[dequeHead] - emitted]
      let slot = f % (l + 1)
      sum += Double(ahead)
      if f > l { sum -= Double(aheadRing[slot]) }
      aheadRing[slot] = ahead
      let smoothed = Float(sum / Double(min(f + 1, l + 1)))
      let gain = min(smoothed, targets[k])
      lowestGain = min(lowestGain, gain)
      for c in 0..<channels { out[k * channels + c] = pending[k * channels + c] * gain }
    }
    // Drop what was emitted; deque indices are absolute, so only its consumed head is trimmed.
    pending.removeFirst(count * channels)
    targets.removeFirst(count)
    emitted += count
    if dequeHead > 1024 {
      deque.removeFirst(dequeHead)
      dequeHead = 0
    }
    return out
  }
}
