import Foundation
import Torch

/// A beat clock for tempo-conditioned generators (`GANConfig.clockChannels`): the sine and cosine of
/// the beat phase and of the bar phase (4 beats), per latent vector, appended to the generator's input
/// after the condition channels. The critic does not see it.
///
/// Why: at 0.186 s per latent vector a beat lasts 1.6–3.2 vectors (200–100 BPM), so a beat that
/// follows the asked tempo must fall between vectors with a phase that drifts against the vector
/// grid. From one standardised tempo channel and slowly varying coordinates a generator has no such
/// oscillator; the techno runs instead locked every clip to a beat of exactly two vectors (161.5 BPM)
/// and changed their audio by 8–34 % rms between 120 and 160 BPM. The clock hands the generator the
/// phase: following the tempo becomes mapping a phase to a beat.
///
/// The phase is the running sum of the tempo over the vectors (beats = Σ bpm/60 · seconds per
/// vector), so a tempo change bends the clock without a jump.
public enum TempoClock {
  public static let channelCount = 4

  /// Beats per latent vector at `bpm`.
  public static func beatsPerVector(bpm: Double, secondsPerVector: Double) -> Double {
    bpm / 60 * secondsPerVector
  }

  /// Beats elapsed at each vector → (4, count) float32: sin, cos of 2π·beat and of 2π·beat/4.
  public static func channels(beats: [Double]) -> Tensor {
    var values = [Float](repeating: 0, count: channelCount * beats.count)
    for (t, b) in beats.enumerated() {
      let beat = 2 * Double.pi * (b - b.rounded(.down))
      let bar = 2 * Double.pi * (b / 4 - (b / 4).rounded(.down))
      values[t] = Float(sin(beat))
      values[beats.count + t] = Float(cos(beat))
      values[2 * beats.count + t] = Float(sin(bar))
      values[3 * beats.count + t] = Float(cos(bar))
    }
    return Tensor(values, shape: [channelCount, beats.count])
  }
}
