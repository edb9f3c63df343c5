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
/// the arrays reused across frames. One thread at a time uses it (`PhaseGradientIntegrator.angles`).
private final class ChannelState: @unchecked Sendable {
  let stft: STFT
  let tolerance: Double
  var lastLog: [Double]
  var lastPhase: [Double]
  var lastAdvance: [Double]
  var hasLast = false
  var advance: [Double]
  var step: [Double]
  var phase: [Double]
  var pending: [Bool]
  var heap: BinHeap

  init(stft: STFT, tolerance: Double) {
    self.stft = stft
    self.tolerance = tolerance
    let zeros = [Double](repeating: 0, count: stft.bins)
    (lastLog, lastPhase, lastAdvance, advance, step, phase) = (zeros, zeros, zeros, zeros, zeros, zeros)
    pending = Array(repeating: false, count: stft.bins)
    heap = BinHeap(capacity: 2 * stft.bins)
  }

  /// One frame of one channel: its phases (radians, wrapped) into `output`, and into the channel's state.
  func integrate(current s: UnsafeBufferPointer<Double>, following: UnsafeBufferPointer<Double>?,
                 into output: UnsafeMutableBufferPointer<Float>) {
    let bins = stft.bins
    let n = Double(stft.nFFT), a = Double(stft.hop)
    let lambda = 0.25645 * n * n
    let timeScale = a * n / lambda, frequencyScale = lambda / (a * n)
    let centreTurn = 2 * Double.pi * a / n
    let hasLast = self.hasLast
    let threshold = (s.max() ?? 0) + Foundation.log(tolerance)
    // The heap is moved out of the object for the frame: a class's stored property is checked for
    // exclusive access at every use, which cost as much as the integration itself.
    var heap = BinHeap(capacity: 0)
    swap(&heap, &self.heap)
    defer { swap(&heap, &self.heap) }
    self.lastLog.withUnsafeMutableBufferPointer { lastLog in
    self.lastPhase.withUnsafeMutableBufferPointer { lastPhase in
    self.lastAdvance.withUnsafeMutableBufferPointer { lastAdvance in
    self.advance.withUnsafeMutableBufferPointer { advance in
    self.step.withUnsafeMutableBufferPointer { step in
    self.phase.withUnsafeMutableBufferPointer { phase in
    self.pending.withUnsafeMutableBufferPointer { pending in
      // Phase advance per hop (time derivative) and phase step per bin (frequency derivative):
      // central differences; one-sided at a piece's ends; ∂s/∂k is 0 at DC and Nyquist, where a real
      // signal's spectrum is symmetric.
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
      while remaining > 0 {
        guard let top = heap.pop() else {
          // A component with nothing to continue from: start at the strongest pending bin.
          var best = -1
          for k in 0..<bins where pending[k] && (best < 0 || s[k] > s[best]) { best = k }
          if hasLast { phase[best] = lastPhase[best] + (lastAdvance[best] + advance[best]) / 2 }
          pending[best] = false
          remaining -= 1
          heap.push(key: s[best], bin: best, previousFrame: false)
          continue
        }
        let k = top.bin
        if top.previousFrame {
          guard pending[k] else { continue }
          phase[k] = lastPhase[k] + (lastAdvance[k] + advance[k]) / 2
          pending[k] = false
          remaining -= 1
          heap.push(key: s[k], bin: k, previousFrame: false)
        } else {
          if k > 0 && pending[k - 1] {
            phase[k - 1] = phase[k] - (step[k] + step[k - 1]) / 2
            pending[k - 1] = false
            remaining -= 1
            heap.push(key: s[k - 1], bin: k - 1, previousFrame: false)
          }
          if k + 1 < bins && pending[k + 1] {
            phase[k + 1] = phase[k] + (step[k] + step[k + 1]) / 2
            pending[k + 1] = false
            remaining -= 1
            heap.push(key: s[k + 1], bin: k + 1, previousFrame: false)
          }
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
    }}}}}}}
    self.hasLast = true
  }
}

/// A max-heap of bins keyed by log-magnitude, for one frame's integration order.
private struct BinHeap {
  private struct Entry {
    var key: Double
    var item: Int32  // bin + 1, negated for the previous frame
  }
  private var entries: [Entry] = []

  init(capacity: Int) {
    entries.reserveCapacity(capacity)
  }

  mutating func removeAll() {
    entries.removeAll(keepingCapacity: true)
  }

  mutating func push(key: Double, bin: Int, previousFrame: Bool) {
    entries.append(Entry(key: key, item: previousFrame ? -Int32(bin + 1) : Int32(bin + 1)))
    entries.withUnsafeMutableBufferPointer { e in
      var i = e.count - 1
      let moving = e[i]
      while i > 0 {
        let parent = (i - 1) / 2
        guard e[parent].key < moving.key else { break }
        e[i] = e[parent]
        i = parent
      }
      e[i] = moving
    }
  }

  mutating func pop() -> (bin: Int, previousFrame: Bool)? {
    guard let first = entries.first else { return nil }
    let last = entries.removeLast()
    if !entries.isEmpty {
      entries.withUnsafeMutableBufferPointer { e in
        let count = e.count
        var i = 0
        while true {
          let l = 2 * i + 1, r = l + 1
          var largest = l
          guard l < count else { break }
          if r < count && e[r].key > e[l].key { largest = r }
          guard e[largest].key > last.key else { break }
          e[i] = e[largest]
          i = largest
        }
        e[i] = last
      }
    }
    return (Int(abs(first.item)) - 1, first.item < 0)
  }
}
