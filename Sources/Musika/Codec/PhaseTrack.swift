import Audio
import Foundation
import Torch

/// The phase of one piece decoded span after span, from `source`: DEC's phase head read as the
/// codec's `PhaseRepresentation` (an `advance` running sum carried from span to span), or integrated
/// from DEC's magnitude (the integrator's last frame carried). A whole piece is one span.
final class PhaseTrack {
  let codec: SpectralCodec
  let source: PhaseSource
  /// The last frame's angle, (channels, bins, 1), for an `advance` head; nil before the first span.
  private var lastAngle: Tensor?
  private let integrator: PhaseGradientIntegrator?

  init(codec: SpectralCodec, source: PhaseSource, channels: Int) {
    self.codec = codec
    self.source = source
    integrator = source == .magnitude
      ? PhaseGradientIntegrator(stft: codec.frontEnd.stft, channels: channels, floorDecibels: Self.integrationFloorDecibels) : nil
  }

  /// Bins more than this many dB under a full-scale sine are not integrated but continue along time
  /// (`PhaseGradientIntegrator.floorDecibels`). The bundled codecs' −1 lies 100 dB under one, and half
  /// of a generated piano piece's bins lie within 20 dB of it: at 70 dB generation ran 1.5× as fast
  /// (piano 60 s, 146–169× → 231–255× real time) with the Fréchet distance to held-out piano 23.8 → 23.2
  /// (60 dB: 27.2, 50 dB: 35.2; orchestral 39.6 → 40.6, techno 53.3 → 52.8).
  static let integrationFloorDecibels = 70.0

  /// Angles laid out (channels, frames, bins), as the inverse STFT reads them
  /// (`InverseSTFT.signal(framesMajor:)`), of the next span from DEC's magnitude `levels`, laid out the
  /// same way (the caller transposes it once for the spectrum anyway), and DEC's phase output (channels,
  /// bins, frames; nil when integrated from the magnitude); `next` (channels, bins, 1) is the magnitude
  /// of the frame after the span, nil at a piece's end (only the integrator reads it). Training passes
  /// `clipPhase: false`.
  func framesMajorAngles(levels: Tensor, phase: Tensor?, next: Tensor?, clipPhase: Bool = true) -> Tensor {
    if let integrator {
      let (channels, frames, bins) = (levels.size(0), levels.size(1), levels.size(2))
      let angles = integrator.angles(logMagnitude: logMagnitudes(levels), frames: frames,
                                     next: next.map { logMagnitudes($0.transposed(1, 2)) })
      return Tensor(angles, shape: [channels, frames, bins])  // the integrator's own layout
    }
    guard let phase else { preconditionFailure("PhaseTrack: DEC's phase head is the source but no phase was decoded") }
    let (angles, last) = codec.phaseAngles(phase, clip: clipPhase, start: lastAngle)
    lastAngle = last
    return angles.transposed(1, 2).contiguous()
  }

  /// As `framesMajorAngles` from the magnitude, for frames after the span that the next span will
  /// integrate again (a lookahead): the integrator's state is left as the span left it.
  /// levels (channels, frames, bins); next (channels, bins, 1) or nil.
  func framesMajorAnglesAhead(levels: Tensor, next: Tensor?) -> Tensor {
    guard let integrator else { preconditionFailure("PhaseTrack: a lookahead is integrated from the magnitude only") }
    let (channels, frames, bins) = (levels.size(0), levels.size(1), levels.size(2))
    let angles = integrator.anglesAhead(logMagnitude: logMagnitudes(levels), frames: frames,
                                        next: next.map { logMagnitudes($0.transposed(1, 2)) })
    return Tensor(angles, shape: [channels, frames, bins])
  }

  /// DEC's magnitude laid out (channels, frames, bins) → natural-log magnitudes, row-major, as the
  /// integrator reads them: ln |X| = dB · ln 10 / 20. In Float: the decoder's own precision (or less),
  /// and float64 here cost a third as much as the integration itself.
  private func logMagnitudes(_ levels: Tensor) -> [Float] {
    (codec.frontEnd.decibels(levels.to(dtype: .float32)) * (Foundation.log(10.0) / 20)).contiguous().toArray(of: Float.self)
  }
}
