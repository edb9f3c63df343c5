import Foundation

/// Phase from magnitude alone, one frame at a time: real-time phase gradient heap integration
/// (RTPGHI; Průša & Holighaus, "Phase vocoder done right", EUSIPCO 2017).
///
/// For a Gaussian window the STFT's phase derivatives follow from its log-magnitude s: along time, each
/// bin turns at its centre frequency plus (a·N/λ)·∂s/∂k per hop, so a tone between two bins makes both
/// turn at the tone's own frequency; along frequency, the phase steps by −(λ/(a·N))·∂s/∂t (an onset's
/// time position). Hann is close enough to the Gaussian of λ = 0.25645·N². Each frame's phases are then
/// integrated from the strongest bins outwards (a heap): from the previous frame along time where a
/// component continues, along frequency where one starts. Bins more than `tolerance` below the frame's
/// strongest get phase 0 (inaudible).
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
  /// Each channel's state and scratch: channels are integrated side by side, one per core.
  private let states: [ChannelState]

  public init(stft: STFT, channels: Int, tolerance: Double = 1e-5) {
    self.stft = stft
    self.channels = channels
    self.tolerance = tolerance
    states = (0..<channels).map { _ in ChannelState(stft: stft, tolerance: tolerance) }
  }

  /// Phase angles for `frames` frames of natural-log magnitudes laid out (channels, frames, bins),
  /// row-major (a frame's bins side by side); `next` (channels, bins) is the log-magnitude of the
  /// frame after the last (nil at a piece's end). Returns angles in [−π, π), same layout.
  public func angles(logMagnitude: [Double], frames: Int, next: [Double]?) -> [Float] {
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
            let frame = { (t: Int) in (c * frames + t) * bins }
            for t in 0..<frames {
              let current = UnsafeBufferPointer(rebasing: buffers.input[frame(t)..<frame(t + 1)])
              let following: UnsafeBufferPointer<Double>? = t + 1 < frames
                ? UnsafeBufferPointer(rebasing: buffers.input[frame(t + 1)..<frame(t + 2)])
                : (buffers.after.isEmpty ? nil : UnsafeBufferPointer(rebasing: buffers.after[(c * bins)..<((c + 1) * bins)]))
              states[c].integrate(current: current, following: following,
                                  into: UnsafeMutableBufferPointer(rebasing: buffers.output[frame(t)..<frame(t + 1)]))
            }
          }
          if channels > 1 {
            DispatchQueue.concurrentPerform(iterations: channels, execute: integrateChannel)
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
  let input: UnsafeBufferPointer<Double>
  let after: UnsafeBufferPointer<Double>
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
  let lastLog, lastPhase, lastAdvance, advance, step, phase: UnsafeMutableBufferPointer<Double>
  let pending: UnsafeMutableBufferPointer<Bool>
  var hasLast = false
  let heap: BinHeap

  init(stft: STFT, tolerance: Double) {
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
    (lastLog, lastPhase, lastAdvance, advance, step, phase) = (buffer(), buffer(), buffer(), buffer(), buffer(), buffer())
    pending = .allocate(capacity: bins)
    pending.initialize(repeating: false)
    heap = BinHeap(capacity: 2 * bins)
  }

  deinit {
    for b in [lastLog, lastPhase, lastAdvance, advance, step, phase] { b.deallocate() }
    pending.deallocate()
  }

  /// One frame of one channel: its phases (radians, wrapped) into `output`, and into the channel's state.
  func integrate(current s: UnsafeBufferPointer<Double>, following: UnsafeBufferPointer<Double>?,
                 into output: UnsafeMutableBufferPointer<Float>) {
    let threshold = (s.max() ?? 0) + logTolerance
    // Phase advance per hop (time derivative) and phase step per bin (frequency derivative): central
    // differences; one-sided at a piece's ends; ∂s/∂k is 0 at DC and Nyquist, where a real signal's
    // spectrum is symmetric.
    let before = hasLast ? UnsafeBufferPointer(lastLog) : s, after = following ?? s
    let span = (hasLast && following != nil) ? 2.0 : 1.0
    var remaining = 0
    for k in 0..<bins {
      let dsdk = (k == 0 || k == bins - 1) ? 0 : (s[k + 1] - s[k - 1]) / 2
      advance[k] = timeScale * dsdk + centreTurn * Double(k)
      step[k] = -frequencyScale * (after[k] - before[k]) / span - Double.pi
      pending[k] = s[k] >= threshold
      phase[k] = 0
      if pending[k] { remaining += 1 }
    }
    heap.removeAll()
    if hasLast {
      for k in 0..<bins where lastLog[k] >= threshold { heap.push(key: lastLog[k], bin: k, previousFrame: true) }
    }
    // Sets bin k's phase and queues it for its neighbours.
    func settle(_ k: Int, _ value: Double) {
      phase[k] = value
      pending[k] = false
      remaining -= 1
      heap.push(key: s[k], bin: k, previousFrame: false)
    }
    while remaining > 0 {
      guard let top = heap.pop() else {
        // A component with nothing to continue from: start at the strongest pending bin.
        var best = -1
        for k in 0..<bins where pending[k] && (best < 0 || s[k] > s[best]) { best = k }
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
      let wrapped = x - 2 * Double.pi * (x / (2 * Double.pi)).rounded(.down) - Double.pi
      output[k] = Float(wrapped)
      lastPhase[k] = wrapped
      lastAdvance[k] = advance[k]
      lastLog[k] = s[k]
    }
    hasLast = true
  }
}

/// A max-heap of bins keyed by log-magnitude, for one frame's integration order (fixed capacity: at
/// most one entry per bin from each of two frames).
private final class BinHeap {
  private struct Entry {
    var key: Double
    var item: Int32  // bin + 1, negated for the previous frame
  }
  private let entries: UnsafeMutablePointer<Entry>
  private let capacity: Int
  private var count = 0

  init(capacity: Int) {
    self.capacity = capacity
    entries = .allocate(capacity: capacity)
  }

  deinit { entries.deallocate() }

  func removeAll() { count = 0 }

  func push(key: Double, bin: Int, previousFrame: Bool) {
    precondition(count < capacity, "BinHeap: full")
    let moving = Entry(key: key, item: previousFrame ? -Int32(bin + 1) : Int32(bin + 1))
    var i = count
    count += 1
    while i > 0 {
      let parent = (i - 1) / 2
      guard entries[parent].key < moving.key else { break }
      entries[i] = entries[parent]
      i = parent
    }
    entries[i] = moving
  }

  func pop() -> (bin: Int, previousFrame: Bool)? {
    guard count > 0 else { return nil }
    let first = entries[0]
    count -= 1
    let last = entries[count]
    var i = 0
    while true {
      let l = 2 * i + 1, r = l + 1
      guard l < count else { break }
      let largest = r < count && entries[r].key > entries[l].key ? r : l
      guard entries[largest].key > last.key else { break }
      entries[i] = entries[largest]
      i = largest
    }
    if count > 0 { entries[i] = last }
    return (Int(abs(first.item)) - 1, first.item < 0)
  }
}
