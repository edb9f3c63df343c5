import Foundation
import Torch

/// A beat clock for tempo-conditioned generators (`GANConfig.clockChannels`): the sine and cosine of
/// the beat phase and of the bar phase (4 beats), per latent vector, appended to the generator's input
/// after the condition channels. The critic does not see it.
///
/// Why: at 0.186 s per latent vector a beat lasts 1.6–3.2 vectors (200–100 BPM), so a beat that
/// follows the asked tempo must fall between vectors with a phase that drifts against the vector
/// grid. From one standardised tempo channel and slowly varying coordinates a generator has no such
/// oscillator; the techno runs instead placed one event per vector (323 BPM, read as 161.5) in every
/// clip and changed their audio by 8–34 % rms between 120 and 160 BPM. The clock hands the generator
/// the phase: following the tempo becomes mapping a phase to a beat.
///
/// The phase is the running sum of the tempo over the vectors (beats = Σ bpm/60 · seconds per
/// vector), so a tempo change bends the clock without a jump.
public enum TempoClock {
  public static let channelCount = 4
  /// The beat phase's sine and cosine alone (the first two channels): what the critic may see
  /// (`GANConfig.criticClockChannels`); a bar's downbeat is not tracked in real music.
  public static let beatChannelCount = 2

  /// Beats per latent vector at `bpm`.
  public static func beatsPerVector(bpm: Double, secondsPerVector: Double) -> Double {
    bpm / 60 * secondsPerVector
  }

  /// Beats elapsed at each vector, (…, count) float64 → (…, 4, count) float32: sin, cos of 2π·beat
  /// and of 2π·beat/4. The fractions are taken in float64, so hours of beats keep their phase.
  public static func channels(beats: Tensor) -> Tensor {
    Tensor.stack(phase(beats) + phase(beats / 4), dim: beats.rank - 1).to(dtype: .float32)
  }

  /// The beat phase's channels alone: (…, count) float64 → (…, 2, count) float32, sin and cos of 2π·beat.
  public static func beatChannels(beats: Tensor) -> Tensor {
    Tensor.stack(phase(beats), dim: beats.rank - 1).to(dtype: .float32)
  }

  /// Sine and cosine of 2π times the fractional part of `cycles` (float64).
  private static func phase(_ cycles: Tensor) -> [Tensor] {
    let angle = (cycles - cycles.floor()) * (2 * Double.pi)
    return [angle.sin(), angle.cos()]
  }
}
