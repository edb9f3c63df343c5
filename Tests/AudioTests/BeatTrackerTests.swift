import Foundation
import Testing
import Torch

@testable import Audio

@Suite("Beat tracking at a known tempo")
struct BeatTrackerTests {
  /// A beat that speeds up from 120 to 126 BPM over 30 s, with off-beat hats, one beat left out and
  /// a few off-grid ghost notes: the tracked beats land on the true ones, bridging the gap.
  @Test func tracksADriftingBeatThroughGapsAndGhostNotes() throws {
    var truth: [Double] = []
    var time = 0.31
    while time < 29.9 {
      truth.append(time)
      let bpm = 120 + 6 * time / 30
      time += 60 / bpm
    }
    let missing = truth[20]
    let hats = zip(truth, truth.dropFirst()).map { ($0 + $1) / 2 }
    let ghosts = [3.07, 11.93, 19.41]
    let onsets = (truth.filter { $0 != missing } + hats + ghosts).sorted()
    let accents = onsets.map { t -> Float in truth.contains(t) ? 1 : 0.4 }
    let audio = Pulses.signal(onsets: onsets, seconds: 30, accents: accents)
    let detector = OnsetDetector(sampleRate: Pulses.rate)
    let envelope = try detector.strength(audio)
    let beats = BeatTracker().beats(envelope: envelope, framesPerSecond: detector.framesPerSecond, bpm: 123)
    // Every true beat (the missing one included) has a tracked beat within 20 ms, and nothing else.
    let matched = truth.filter { t in beats.contains { abs($0 - t) < 0.02 } }
    #expect(matched.count >= truth.count - 1, "\(matched.count) of \(truth.count) beats found: \(beats.prefix(12))")
    #expect(abs(beats.count - truth.count) <= 1, "\(beats.count) beats tracked, \(truth.count) true")
  }

  /// Beats elapsed: 0 at the first beat, linear between beats, the tempo's period beyond the ends.
  @Test func beatsElapsedInterpolatesAndExtendsAtTheTempo() {
    let beats = [1.0, 1.5, 2.1]
    let elapsed = BeatTracker.beatsElapsed(beatTimes: beats, at: [0.5, 1.0, 1.25, 1.8, 2.1, 2.6], bpm: 120)
    let expected = [-1.0, 0, 0.5, 1.5, 2, 3]
    #expect(zip(elapsed, expected).allSatisfy { abs($0 - $1) < 1e-9 }, "\(elapsed)")
    #expect(BeatTracker.beatsElapsed(beatTimes: [], at: [0, 1], bpm: 90) == [0, 1.5])
  }

  @Test func silenceOrTooShortHasNoBeats() {
    let tracker = BeatTracker()
    #expect(tracker.beats(envelope: [Float](repeating: 0, count: 2000), framesPerSecond: 172, bpm: 120).isEmpty)
    #expect(tracker.beats(envelope: [1, 0, 0, 1], framesPerSecond: 172, bpm: 120).isEmpty)
  }
}
