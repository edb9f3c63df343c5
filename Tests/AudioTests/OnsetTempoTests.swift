import Foundation
import Testing
import Torch

@testable import Audio

/// Synthetic signals with known onsets: decaying noise bursts and plucked tones over a quiet noise
/// floor, at 22.05 kHz.
enum Pulses {
  static let rate = 22_050

  /// (2, seconds·rate) stereo with a decaying burst at each time; `tone` adds a plucked sine.
  static func signal(onsets: [Double], seconds: Double, accents: [Float]? = nil, tone: Double? = nil,
                     seed: UInt64 = 1) -> Tensor {
    var rng = SplitMix(seed: seed)
    let n = Int(seconds * Double(rate))
    var x = (0..<n).map { _ in 0.01 * rng.gaussian() }
    let length = Int(0.08 * Double(rate))
    for (k, time) in onsets.enumerated() {
      let start = Int(time * Double(rate))
      let gain = accents.map { Double($0[k % $0.count]) } ?? 1
      for i in 0..<length where start + i < n {
        let envelope = exp(-Double(i) / (0.012 * Double(rate)))
        let noise = rng.gaussian() * 0.5
        let sine = tone.map { sin(2 * .pi * $0 * Double(i) / Double(rate)) } ?? 0
        x[start + i] += gain * envelope * (noise + sine)
      }
    }
    let mono = Tensor(x.map(Float.init), shape: [1, n])
    return Tensor.cat([mono, mono * 0.8], dim: 0)
  }

  /// A steady beat at `bpm` starting at `offset` seconds.
  static func beat(bpm: Double, seconds: Double, offset: Double = 0.137) -> [Double] {
    stride(from: offset, to: seconds - 0.1, by: 60 / bpm).map { $0 }
  }
}

/// Deterministic normal draws for test signals.
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
  mutating func gaussian() -> Double {
    let u = max(uniform(), 1e-12), v = uniform()
    return (-2 * Foundation.log(u)).squareRoot() * cos(2 * .pi * v)
  }
}

/// F-measure of detected against true onset times with a ± tolerance, each true onset matched once.
func fMeasure(detected: [Double], truth: [Double], tolerance: Double = 0.05) -> Double {
  var unmatched = truth
  var hits = 0
  for time in detected {
    if let i = unmatched.firstIndex(where: { abs($0 - time) <= tolerance }) {
      unmatched.remove(at: i)
      hits += 1
    }
  }
  guard hits > 0 else { return 0 }
  let precision = Double(hits) / Double(detected.count)
  let recall = Double(hits) / Double(truth.count)
  return 2 * precision * recall / (precision + recall)
}

@Suite("Onsets and tempo")
struct OnsetTempoTests {
  @Test(arguments: [60.0, 72, 90, 100, 120, 128, 140, 150, 160, 174, 180])
  func tempoOfAClearPulseIsWithinTwoPercent(bpm: Double) throws {
    let detector = OnsetDetector()
    let signal = Pulses.signal(onsets: Pulses.beat(bpm: bpm, seconds: 20), seconds: 20, seed: UInt64(bpm))
    let estimate = try #require(TempoEstimator().tempo(envelope: try detector.strength(signal),
                                                       framesPerSecond: detector.framesPerSecond))
    #expect(abs(estimate - bpm) / bpm < 0.02, "asked \(bpm) BPM, estimated \(estimate)")
  }

  /// Accented beats with softer off-beats (a kick and a hi-hat): the beat, not the eighth notes.
  @Test(arguments: [100.0, 125, 140])
  func offBeatsDoNotDoubleTheTempo(bpm: Double) throws {
    let detector = OnsetDetector()
    let eighths = Pulses.beat(bpm: 2 * bpm, seconds: 20)
    let signal = Pulses.signal(onsets: eighths, seconds: 20, accents: [1, 0.35], seed: 7)
    let estimate = try #require(TempoEstimator().tempo(envelope: try detector.strength(signal),
                                                       framesPerSecond: detector.framesPerSecond))
    #expect(abs(estimate - bpm) / bpm < 0.02, "asked \(bpm) BPM, estimated \(estimate)")
  }

  @Test func silenceHasNoTempoAndNoOnsets() throws {
    let detector = OnsetDetector()
    let silence = Tensor.zeros([2, 10 * Pulses.rate])
    #expect(try detector.onsets(in: silence).isEmpty)
    #expect(TempoEstimator().tempo(envelope: try detector.strength(silence), framesPerSecond: detector.framesPerSecond) == nil)
  }

  @Test func onsetsOfIrregularNotesAreFoundWithHighFMeasure() throws {
    var rng = SplitMix(seed: 42)
    var times: [Double] = []
    var t = 0.3
    while t < 19.5 {
      times.append(t)
      t += 0.12 + 0.5 * rng.uniform()  // 2 to 8 notes per second, irregular
    }
    let accents = (0..<times.count).map { _ in Float(0.3 + 0.7 * rng.uniform()) }
    let signal = Pulses.signal(onsets: times, seconds: 20, accents: accents, tone: 440, seed: 3)
    let detected = try OnsetDetector().onsets(in: signal)
    let f = fMeasure(detected: detected, truth: times)
    #expect(f >= 0.95, "F-measure \(f): \(detected.count) detected for \(times.count) true onsets")
  }

  @Test func densityCountsOnsetsPerSecondAroundEachPoint() {
    let onsets = stride(from: 0.0, to: 10, by: 0.25).map { $0 }  // 4 per second
    let density = OnsetDetector.density(onsets: onsets, count: 10, step: 1)
    #expect(density[5] == 4)
    #expect(density[0] < 4)  // the window reaches before the start
    #expect(OnsetDetector.density(onsets: [], count: 3, step: 1) == [0, 0, 0])
  }

  @Test func tooShortAudioIsAnError() {
    #expect(throws: AudioError.self) { try OnsetDetector().strength(Tensor.zeros([2, 100])) }
  }
}
