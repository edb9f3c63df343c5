import Foundation
import Torch

/// Phase from magnitude alone, one frame at a time: real-time phase gradient heap integration
/// (RTPGHI; Průša & Holighaus, "Phase vocoder done right", EUSIPCO 2017).
///
/// For a Gaussian window the STFT's phase derivatives follow from its log-magnitude s: along time, each
/// bin turns at its centre frequency plus (a·N/λ)·∂s/∂k per hop, so a tone between two bins makes both
/// turn at the tone's own frequency; along frequency, the phase steps by −(λ/(a·N))·∂s/∂t (an onset's
/// time position). Hann is close enough to the Gaussian of λ = 0.25645·N². Each frame's phases are then
/// integrated from the strongest bins outwards (a priority queue): from the previous frame along time where a
/// component continues, along frequency where one starts. Bins more than `tolerance` below the frame's
/// strongest, or under `floorDecibels`, are left out of that order (inaudible): they continue along time.
///
/// Why here: a decoder whose phase head is convolutional makes, from a sustained tone's steady
/// magnitudes, phases on a grid of frequencies, and returns tones between bins up to half a bin off
/// pitch (`MidBinPitchProbe` in Musika). From the magnitude a tone's frequency follows exactly.
///
/// The STFT convention is `STFT`'s: periodic Hann, frame t covering [hop·t, hop·t + nFFT), phase
/// referred to the frame's start (hence the extra −π per bin of a window centred at nFFT/2). Frame t
/// needs frame t + 1's magnitude (the time derivative is a central difference); at a piece's end the
/// last frame uses a backward one. State is carried between calls, so a piece integrated span by span
/// equals the piece integrated at once.
public final class PhaseGradientIntegrator {
  public let stft: STFT
  public let channels: Int
  /// Relative level under which a bin's phase is not integrated (1e-5: 100 dB under the frame's peak).
  public let tolerance: Double
  /// Level in dB under a full-scale sine (|X| = nFFT/4) under which a bin's phase is not integrated
  /// either, whatever the frame's peak; nil: no such floor. Such a bin, and one under `tolerance`,
  /// continues along time at its own rate (from the magnitude's slope across bins, so a quiet tone
  /// keeps its pitch): no ordering, so no cost, where vertical coherence is inaudible.
  public let floorDecibels: Double?
  /// Each channel's state and scratch: channels are integrated side by side, one per core.
  private let states: [ChannelState]

  public init(stft: STFT, channels: Int, tolerance: Double = 1e-5, floorDecibels: Double? = nil) {
    self.stft = stft
    self.channels = channels
    self.tolerance = tolerance
    self.floorDecibels = floorDecibels
    // As a natural-log magnitude, the integrator's unit.
    let floor = floorDecibels.map { Foundation.log(Double(stft.nFFT) / 4) - $0 * Foundation.log(10.0) / 20 } ?? -.infinity
    states = (0..<channels).map { _ in ChannelState(stft: stft, tolerance: tolerance, floor: floor) }
  }

  /// Phase angles for `frames` frames of natural-log magnitudes laid out (channels, frames, bins),
  /// row-major (a frame's bins side by side); `next` (channels, bins) is the log-magnitude of the
  /// frame after the last (nil at a piece's end). Returns angles in [−π, π), same layout. The
  /// magnitudes come as Float (a decoder's precision, and half the memory traffic); the phases are
  /// summed in Double.
  public func angles(logMagnitude: [Float], frames: Int, next: [Float]?) -> [Float] {
    angles(logMagnitude: logMagnitude, frames: frames, next: next, keepingState: false)
  }

  /// As `angles`, for frames that will come again: the state is left as it was, so the next call
  /// integrates those frames as if this one had not been made (a decoder's lookahead).
  public func anglesAhead(logMagnitude: [Float], frames: Int, next: [Float]?) -> [Float] {
    angles(logMagnitude: logMagnitude, frames: frames, next: next, keepingState: true)
  }

  private func angles(logMagnitude: [Float], frames: Int, next: [Float]?, keepingState: Bool) -> [Float] {
    let bins = stft.bins
    precondition(logMagnitude.count == channels * bins * frames, "PhaseGradientIntegrator: \(logMagnitude.count) values for \(channels)×\(frames)×\(bins)")
    precondition(next == nil || next!.count == channels * bins, "PhaseGradientIntegrator: lookahead of \(next!.count) values")
    var out = [Float](repeating: 0, count: logMagnitude.count)
    let lookahead = next ?? []
    let states = self.states
    logMagnitude.withUnsafeBufferPointer { input in
      lookahead.withUnsafeBufferPointer { after in
        out.withUnsafeMutableBufferPointer { output in
          let buffers = Buffers(input: input, after: after, output: output)
          let integrateChannel = { @Sendable (c: Int) in
            let saved = keepingState ? states[c].saved() : nil
            defer { if let saved { states[c].restore(saved) } }
            let frame = { (t: Int) in (c * frames + t) * bins }
            for t in 0..<frames {
              let current = UnsafeBufferPointer(rebasing: buffers.input[frame(t)..<frame(t + 1)])
              let following: UnsafeBufferPointer<Float>? = t + 1 < frames
                ? UnsafeBufferPointer(rebasing: buffers.input[frame(t + 1)..<frame(t + 2)])
                : (buffers.after.isEmpty ? nil : UnsafeBufferPointer(rebasing: buffers.after[(c * bins)..<((c + 1) * bins)]))
              states[c].integrate(current: current, following: following,
                                  into: UnsafeMutableBufferPointer(rebasing: buffers.output[frame(t)..<frame(t + 1)]))
            }
          }
          // On libtorch's threads: Dispatch's would compete with its OpenMP workers, which spin a while
          // after each tensor op (the integration took 175 ms against 155 ms for a 60 s piece).
          if channels > 1 {
            try! TorchRuntime.parallelFor(channels, integrateChannel)
          } else {
            integrateChannel(0)
          }
        }
      }
    }
    return out
  }
}

/// The arrays one call reads and writes; each channel's thread touches only its own rows.
private struct Buffers: @unchecked Sendable {
  let input: UnsafeBufferPointer<Float>
  let after: UnsafeBufferPointer<Float>
  let output: UnsafeMutableBufferPointer<Float>
}

/// One channel's integration: the previous frame (log-magnitude, phase, phase advance per hop) and
/// the arrays reused across frames, allocated once (plain buffers: a class's array properties would be
/// checked for exclusive access at every use, which cost as much as the integration itself). One
/// thread at a time uses it (`PhaseGradientIntegrator.angles`).
private final class ChannelState: @unchecked Sendable {
  let bins: Int
  let timeScale: Double, frequencyScale: Double, centreTurn: Double
  let logTolerance: Double
  /// Natural-log magnitude under which no bin is integrated (−∞: none).
  let floor: Double
  let lastPhase, lastAdvance, advance, step, phase: UnsafeMutableBufferPointer<Double>
  /// The previous frame's log-magnitudes, as the input gives them.
  let lastLog: UnsafeMutableBufferPointer<Float>
  let pending: UnsafeMutableBufferPointer<Bool>
  var hasLast = false
  let queue: BinQueue
  /// The frame's pending bins by level, for the start of each new component.
  let starts: BinQueue

  init(stft: STFT, tolerance: Double, floor: Double) {
    self.floor = floor
    bins = stft.bins
    let n = Double(stft.nFFT), a = Double(stft.hop)
    let lambda = 0.25645 * n * n  // the Gaussian closest to a Hann window of n samples
    timeScale = a * n / lambda
    frequencyScale = lambda / (a * n)
    centreTurn = 2 * Double.pi * a / n
    logTolerance = Foundation.log(tolerance)
    func buffer() -> UnsafeMutableBufferPointer<Double> {
      let b = UnsafeMutableBufferPointer<Double>.allocate(capacity: stft.bins)
      b.initialize(repeating: 0)
      return b
    }
    (lastPhase, lastAdvance, advance, step, phase) = (buffer(), buffer(), buffer(), buffer(), buffer())
    lastLog = .allocate(capacity: bins)
    lastLog.initialize(repeating: 0)
    pending = .allocate(capacity: bins)
    pending.initialize(repeating: false)
    // Keys run from the threshold to the louder of the two frames' peaks: the tolerance's span plus
    // a jump of up to 100 dB more between frames (louder ones share the top bucket).
    queue = BinQueue(capacity: 2 * bins, span: -2 * logTolerance)
    starts = BinQueue(capacity: bins, span: -2 * logTolerance)
  }

  /// What the next frame reads of the frames before it.
  struct Saved {
    let phase: [Double], advance: [Double], log: [Float], hasLast: Bool
  }

  func saved() -> Saved {
    Saved(phase: Array(lastPhase), advance: Array(lastAdvance), log: Array(lastLog), hasLast: hasLast)
  }

  func restore(_ saved: Saved) {
    _ = lastPhase.update(fromContentsOf: saved.phase)
    _ = lastAdvance.update(fromContentsOf: saved.advance)
    _ = lastLog.update(fromContentsOf: saved.log)
    hasLast = saved.hasLast
  }

  deinit {
    for b in [lastPhase, lastAdvance, advance, step, phase] { b.deallocate() }
    lastLog.deallocate()
    pending.deallocate()
  }

  /// One frame of one channel: its phases (radians, wrapped) into `output`, and into the channel's state.
  func integrate(current s: UnsafeBufferPointer<Float>, following: UnsafeBufferPointer<Float>?,
                 into output: UnsafeMutableBufferPointer<Float>) {
    let threshold = max(Double(s.max() ?? 0) + logTolerance, floor)
    // Phase advance per hop (time derivative) and phase step per bin (frequency derivative): central
    // differences; one-sided at a piece's ends; ∂s/∂k is 0 at DC and Nyquist, where a real signal's
    // spectrum is symmetric.
    let before = hasLast ? UnsafeBufferPointer(lastLog) : s, after = following ?? s
    // 1/2 or 1: a multiply, exact, where a division per bin was a tenth of the integration.
    let perSpan = (hasLast && following != nil) ? 0.5 : 1.0
    var remaining = 0
    for k in 0..<bins {
      let dsdk = (k == 0 || k == bins - 1) ? 0 : (Double(s[k + 1]) - Double(s[k - 1])) / 2
      advance[k] = timeScale * dsdk + centreTurn * Double(k)
      step[k] = -frequencyScale * (Double(after[k]) - Double(before[k])) * perSpan - Double.pi
      pending[k] = Double(s[k]) >= threshold
      // A bin too quiet to integrate continues along time at its own rate.
      phase[k] = pending[k] || !hasLast ? 0 : lastPhase[k] + (lastAdvance[k] + advance[k]) / 2
      if pending[k] { remaining += 1 }
    }
    queue.reset(floor: threshold)
    var startsFilled = false
    // Entries that could settle nothing are not queued: a bin only ever leaves `pending`, so a bin not
    // pending now (or a bin whose neighbours are not) would pop as a no-op. Leaving them out keeps
    // the order of the others (each bucket is a stack), so the phases are the same.
    if hasLast {
      for k in 0..<bins where pending[k] && Double(lastLog[k]) >= threshold {
        queue.push(key: Double(lastLog[k]), bin: k, previousFrame: true)
      }
    }
    // Sets bin k's phase and queues it for its neighbours.
    func settle(_ k: Int, _ value: Double) {
      phase[k] = value
      pending[k] = false
      remaining -= 1
      if (k > 0 && pending[k - 1]) || (k + 1 < bins && pending[k + 1]) {
        queue.push(key: Double(s[k]), bin: k, previousFrame: false)
      }
    }
    while remaining > 0 {
      guard let top = queue.pop() else {
        // A component with nothing to continue from: start at the strongest pending bin (the lowest
        // of equals). `starts` holds the frame's pending bins by level, so this is no scan of the
        // frame: a scan per new component was 70 % of the integration where many small ones start.
        // Filled at the frame's first start only (most frames of music have none): bins only ever
        // leave `pending`, so the bins pending now are all that later starts can choose from.
        if !startsFilled {
          starts.reset(floor: threshold)
          for k in 0..<bins where pending[k] { starts.push(key: Double(s[k]), bin: k, previousFrame: false) }
          startsFilled = true
        }
        let pendingBins = pending
        let best = starts.best(keep: { pendingBins[$0] }, better: { s[$0] > s[$1] || (s[$0] == s[$1] && $0 < $1) })!
        settle(best, hasLast ? lastPhase[best] + (lastAdvance[best] + advance[best]) / 2 : 0)
        continue
      }
      let k = top.bin
      if top.previousFrame {
        if pending[k] { settle(k, lastPhase[k] + (lastAdvance[k] + advance[k]) / 2) }
      } else {
        if k > 0 && pending[k - 1] { settle(k - 1, phase[k] - (step[k] + step[k - 1]) / 2) }
        if k + 1 < bins && pending[k + 1] { settle(k + 1, phase[k] + (step[k] + step[k + 1]) / 2) }
      }
    }
    // Wrapped, so that a long piece's running sums keep their fraction of a turn; kept as state.
    for k in 0..<bins {
      let x = phase[k] + Double.pi
      let wrapped = x - 2 * Double.pi * Self.floor(x / (2 * Double.pi)) - Double.pi
      output[k] = Float(wrapped)
      lastPhase[k] = wrapped
      lastAdvance[k] = advance[k]
      lastLog[k] = s[k]
    }
    hasLast = true
  }

  /// ⌊x⌋ for |x| < 2⁶³, as `rounded(.down)` gives it, by truncation: baseline x86-64 has no rounding
  /// instruction, so `rounded(.down)` is a call into libm for every bin of every frame.
  @inline(__always) static func floor(_ x: Double) -> Double {
    guard abs(x) < 9e18 else { return x.rounded(.down) }  // NaN and ±∞ too: no trap
    let truncated = Double(Int64(x))
    return truncated > x ? truncated - 1 : truncated
  }
}

/// One frame's integration order: bins taken strongest first, keyed by log-magnitude quantised to
/// `resolution` nepers (a bucket queue). A binary heap over a frame's two rows (up to 2 × 513 bins)
/// cost ten levels per push and per pop and was most of the integration's time; here a push and a pop
/// are O(1) (a bucket per level and a bit per non-empty bucket). Bins within one bucket (0.1 dB) leave
/// last in, first out: the order among nearly equal bins is immaterial to the integration.
private final class BinQueue {
  /// Bucket width in nepers (0.0115: 0.1 dB).
  static let resolution = 0.0115
  static let perResolution = 1 / resolution
  private let bucketCount: Int
  private let words: Int
  /// Per bucket: its newest entry, −1 when empty; per entry: the next older entry in its bucket, and
  /// its item (bin + 1, negated for the previous frame).
  private let head: UnsafeMutablePointer<Int32>
  private let next: UnsafeMutablePointer<Int32>
  private let item: UnsafeMutablePointer<Int32>
  /// One bit per non-empty bucket, and the highest word that may have one (pops scan down from it).
  private let occupied: UnsafeMutablePointer<UInt64>
  private var topWord = -1
  private let capacity: Int
  private var count = 0
  /// The log-magnitude of bucket 0 (the frame's threshold: no key is lower).
  private var floor = 0.0

  /// `span`: the widest range of keys above the floor, in nepers (keys above it share the top bucket).
  init(capacity: Int, span: Double) {
    self.capacity = capacity
    bucketCount = max(64, Int((span / Self.resolution).rounded(.up)) + 1)
    words = (bucketCount + 63) / 64
    head = .allocate(capacity: bucketCount)
    head.initialize(repeating: -1, count: bucketCount)
    next = .allocate(capacity: capacity)
    item = .allocate(capacity: capacity)
    occupied = .allocate(capacity: words)
    occupied.initialize(repeating: 0, count: words)
  }

  deinit {
    head.deallocate()
    next.deallocate()
    item.deallocate()
    occupied.deallocate()
  }

  /// Empties the queue for a frame whose keys are all ≥ `floor`.
  func reset(floor: Double) {
    for w in 0..<words where occupied[w] != 0 {
      var bits = occupied[w]
      while bits != 0 {
        head[w * 64 + bits.trailingZeroBitCount] = -1
        bits &= bits - 1
      }
      occupied[w] = 0
    }
    topWord = -1
    count = 0
    self.floor = floor
  }

  func push(key: Double, bin: Int, previousFrame: Bool) {
    precondition(count < capacity, "BinQueue: full")
    let level = (key - floor) * Self.perResolution
    let b = level <= 0 ? 0 : min(bucketCount - 1, Int(level))
    let e = count
    count += 1
    item[e] = previousFrame ? -Int32(bin + 1) : Int32(bin + 1)
    next[e] = head[b]
    head[b] = Int32(e)
    occupied[b >> 6] |= 1 << UInt64(b & 63)
    topWord = max(topWord, b >> 6)
  }

  func pop() -> (bin: Int, previousFrame: Bool)? {
    var w = topWord
    while w >= 0 && occupied[w] == 0 { w -= 1 }
    topWord = w
    guard w >= 0 else { return nil }
    let b = w * 64 + 63 - occupied[w].leadingZeroBitCount
    let e = Int(head[b])
    head[b] = next[e]
    if head[b] < 0 { occupied[w] &= ~(1 << UInt64(b & 63)) }
    let found = item[e]
    return (Int(abs(found)) - 1, found < 0)
  }

  /// Of the entries (current-frame bins) in the highest bucket that holds one `keep` accepts, the one
  /// `better` ranks first; entries `keep` rejects are dropped on the way, the one returned is not (a
  /// caller that settles it makes `keep` drop it next time). Exact, not bucket-quantised: every key of
  /// a higher bucket is above every key of a lower one.
  func best(keep: (Int) -> Bool, better: (Int, Int) -> Bool) -> Int? {
    while true {
      var w = topWord
      while w >= 0 && occupied[w] == 0 { w -= 1 }
      topWord = w
      guard w >= 0 else { return nil }
      let b = w * 64 + 63 - occupied[w].leadingZeroBitCount
      var previous: Int32 = -1
      var e = head[b]
      var best = -1
      while e >= 0 {
        let bin = Int(abs(item[Int(e)])) - 1
        let following = next[Int(e)]
        if keep(bin) {
          if best < 0 || better(bin, best) { best = bin }
          previous = e
        } else if previous < 0 {
          head[b] = following
        } else {
          next[Int(previous)] = following
        }
        e = following
      }
      if head[b] < 0 { occupied[w] &= ~(1 << UInt64(b & 63)) }
      if best >= 0 { return best }
    }
  }
}
