import Audio
import Foundation
import Torch

/// Latent vectors to audio, one span at a time, with no seams: the one chunked decoder, used by
/// `SpectralCodec.decode` and by `MusicStream`.
///
///   latents around the span → DEC2 → level-1 frames around the span → DEC → magnitude, phase of
///   the span → overlap-add inverse STFT (its tail carried to the next span) → (2, samples)
///   (a phase that is a running sum, `PhaseRepresentation.advance` or one integrated from the
///   magnitude, `PhaseSource.magnitude`, is carried to the next span too)
///
/// Each network runs over the span plus context on both sides and only the span's interior is kept.
/// The context is each decoder's receptive field (`ReceptiveField`; DEC2 3.6 vectors, DEC 29 frames
/// for the original's layers), rounded up to whole vectors and to DEC's stride alignment, so a span
/// decoded this way equals the same span of the whole piece decoded at once (when the noise is the
/// same), however the piece is cut: the original instead decodes 0.37 s windows side by side, and
/// users hear a ~300 ms pulse. The noise is the same too: each pass's noise is tied to absolute
/// positions (`NoisePlacement`), so for given seeds the audio does not depend on the span sizes
/// (up to float rounding of the convolutions), and chunk size is a speed setting only. (With
/// `PhaseSource.magnitude`, rarely, such a rounding difference can reorder the integration of a bin
/// and carry on in its phase: the same chunking still gives the same audio bit for bit. With a refined
/// phase such a difference can also start in the frames integrated ahead of a span, which the next span
/// integrates again.)
public final class StreamingDecoder {
  public let codec: SpectralCodec
  /// Latent vectors DEC2 needs beyond the frames it must produce, on each side.
  public let latentContext: Int
  /// Level-1 frames DEC needs beyond the frames it keeps, on each side (a multiple of DEC's alignment).
  public let frameContext: Int
  private var inverse: OverlapAddISTFT
  /// The piece's phase, from the codec's `phaseSource` when this decoder was made, with what the next
  /// span needs of it (a running sum, or the integrator's last frame).
  private let phase: PhaseTrack
  /// Fast Griffin-Lim on the integrated phase (`SpectralCodec.phaseIterations`; nil: none). Frame t
  /// after n iterations depends on the frames within `refinementReach` = 3n of it, so each span is
  /// refined with that many frames on each side: the frames before it as they were integrated
  /// (`refinementHistory`) and the frames after it, which DEC decodes ahead (its context is wider by
  /// as much) and the integrator integrates ahead without keeping them. A span then equals that span
  /// of the whole piece refined at once, however the piece is cut.
  private let refinement: GriffinLim?
  private let refinementReach: Int
  /// The last `refinementReach` frames before the next span, as integrated (before refinement):
  /// complex, (2, frames, bins).
  private var refinementHistory: Tensor?
  /// Seconds spent so far in each stage (for `musika bench generate`'s breakdown; reading the clock
  /// once per stage per chunk costs nothing next to the decoders).
  public private(set) var stageSeconds = DecodeStageSeconds()

  /// Vectors after which the noise repeats (a loop's period), or nil.
  public let noisePeriodVectors: Int?

  public init(codec: SpectralCodec, noisePeriodVectors: Int? = nil) {
    self.codec = codec
    self.noisePeriodVectors = noisePeriodVectors
    latentContext = Int(codec.latentDecoder.receptiveRadius.rounded(.up))
    // A loop must repeat exactly; a phase integrated from the magnitude runs on from where the piece
    // began and would not meet itself at the wrap, so loops keep DEC's phase head.
    let source = noisePeriodVectors == nil ? codec.phaseSource : .decoder
    refinement = source == .magnitude && codec.phaseIterations > 0
      ? GriffinLim(stft: codec.frontEnd.stft, iterations: codec.phaseIterations) : nil
    refinementReach = refinement?.reach ?? 0
    let alignment = codec.decoder.alignment
    // One frame more than the receptive field, so that the frame after a span (the lookahead a phase
    // integrated from the magnitude reads) still has all of its context; more by the refinement's reach.
    frameContext = (Int(codec.decoder.receptiveRadius.rounded(.up)) + 1 + refinementReach + alignment - 1) / alignment * alignment
    inverse = OverlapAddISTFT(stft: codec.frontEnd.stft)
    phase = PhaseTrack(codec: codec, source: source, channels: 2)
  }

  /// Latent vectors read beyond a span on each side (DEC's context in vectors plus DEC2's).
  public var vectorReach: Int { (frameContext + framesPerVector - 1) / framesPerVector + latentContext }

  /// Frames per latent vector.
  private var framesPerVector: Int { codec.config.framesPerVector }

  /// Level-1 frames of vectors `span`: (2, latentChannels, span.count·16). `latents(range)` gives
  /// (2·vectorChannels, range.count) for any range inside 0..<`available` (nil: an endless stream).
  /// Latents are clamped to the encoder's tanh range (−1, 1): a generator's linear output can stray
  /// outside, where the decoders have never been and answer with loud Nyquist-rate buzz.
  public func frames(_ span: Range<Int>, available: Int?, latents: (Range<Int>) throws -> Tensor,
                     noiseSeed: UInt64) throws -> Tensor {
    let start = max(0, span.lowerBound - latentContext)
    let end = available.map { min($0, span.upperBound + latentContext) } ?? span.upperBound + latentContext
    let z = try latents(start..<end)
    guard z.rank == 2, z.size(0) == 2 * codec.config.vectorChannels, z.size(1) == end - start else {
      throw MusikaError.invalidInput("expected latents of shape (\(2 * codec.config.vectorChannels), \(end - start)), got \(z.shape)")
    }
    let decoderType = codec.latentDecoderType
    let started = ContinuousClock.now
    defer { stageSeconds.dec2 += (ContinuousClock.now - started).seconds }
    return withNoGrad {
      let vectors = z.clamp(min: -1, max: 1).reshape(2, codec.config.vectorChannels, end - start).to(dtype: decoderType)
      let noise = NoiseSource(seed: noiseSeed, placement: NoisePlacement(origin: start, inputLength: end - start,
                                                                           period: noisePeriodVectors))
      let all = codec.latentDecoder(vectors, noise: noise)  // (2, latentChannels, (end − start)·16)
      return all.narrow(dim: 2, start: (span.lowerBound - start) * framesPerVector, length: span.count * framesPerVector)
        .to(dtype: .float32)
    }
  }

  /// Magnitude and phase of level-1 frames `span`, each (2, bins, span.count), span aligned to
  /// `codec.decoder.alignment`. `frames(range)` gives (2, latentChannels, range.count) inside
  /// 0..<`available` frames (nil: endless).
  public func spectrogram(frames span: Range<Int>, available: Int?, frames: (Range<Int>) throws -> Tensor,
                          noiseSeed: UInt64) throws -> (magnitude: Tensor, phase: Tensor) {
    let decoded = try spectrogram(frames: span, available: available, frames: frames, noiseSeed: noiseSeed,
                                  phaseFrom: .decoder)
    return (decoded.magnitude, decoded.phase!)
  }

  /// As above, for a phase taken from `source`. From DEC's head: `following` is nil. From the magnitude:
  /// DEC skips its phase branch (the phase is nil), and `following` is the magnitude of the frames after
  /// the span (2, bins, 1 + refinementReach, fewer at a piece's end, nil after its last frame): the first
  /// is what the integration needs (a central difference in time), the rest what the refinement reads
  /// ahead. DEC computes them anyway, as context (`frameContext` leaves them their whole receptive field).
  func spectrogram(frames span: Range<Int>, available: Int?, frames: (Range<Int>) throws -> Tensor,
                   noiseSeed: UInt64, phaseFrom source: PhaseSource) throws -> (magnitude: Tensor, phase: Tensor?, following: Tensor?) {
    precondition(span.lowerBound % codec.decoder.alignment == 0, "StreamingDecoder: span \(span) not aligned")
    let start = max(0, span.lowerBound - frameContext)
    let end = available.map { min($0, span.upperBound + frameContext) } ?? span.upperBound + frameContext
    let x = try frames(start..<end)
    let decoderType = codec.decoderType
    let started = ContinuousClock.now
    defer { stageSeconds.dec += (ContinuousClock.now - started).seconds }
    return withNoGrad {
      let noise = NoiseSource(seed: noiseSeed, placement: NoisePlacement(
        origin: start, inputLength: end - start, period: noisePeriodVectors.map { $0 * framesPerVector }))
      let input = x.to(dtype: decoderType)
      let (magnitude, phase): (Tensor, Tensor?) = source == .decoder
        ? codec.decoder(input, noise: noise) : (codec.decoder.magnitude(input, noise: noise), nil)
      let keep = { (t: Tensor) in
        t.narrow(dim: 2, start: span.lowerBound - start, length: span.count).to(dtype: .float32)
      }
      let following = source == .magnitude && end > span.upperBound
        ? magnitude.narrow(dim: 2, start: span.upperBound - start,
                           length: min(1 + refinementReach, end - span.upperBound)).to(dtype: .float32) : nil
      return (keep(magnitude), phase.map(keep), following)
    }
  }

  /// Magnitude and phase of vectors `span`, each (2, bins, span.count·16): DEC2, then DEC.
  public func spectrogram(vectors span: Range<Int>, available: Int?, latents: (Range<Int>) throws -> Tensor,
                          noiseSeeds: (dec2: UInt64, dec: UInt64)) throws -> (magnitude: Tensor, phase: Tensor) {
    let decoded = try spectrogram(vectors: span, available: available, latents: latents, noiseSeeds: noiseSeeds,
                                  phaseFrom: .decoder)
    return (decoded.magnitude, decoded.phase!)
  }

  /// As above, for a phase taken from `source` (see the frames' version for `phase` and `following`).
  func spectrogram(vectors span: Range<Int>, available: Int?, latents: (Range<Int>) throws -> Tensor,
                   noiseSeeds: (dec2: UInt64, dec: UInt64),
                   phaseFrom source: PhaseSource) throws -> (magnitude: Tensor, phase: Tensor?, following: Tensor?) {
    let contextVectors = (frameContext + framesPerVector - 1) / framesPerVector
    let start = max(0, span.lowerBound - contextVectors)
    let end = available.map { min($0, span.upperBound + contextVectors) } ?? span.upperBound + contextVectors
    let level1 = try self.frames(start..<end, available: available, latents: latents, noiseSeed: noiseSeeds.dec2)
    let first = start * framesPerVector
    return try spectrogram(frames: (span.lowerBound * framesPerVector)..<(span.upperBound * framesPerVector),
                           available: available.map { $0 * framesPerVector }, frames: { range in
                             level1.narrow(dim: 2, start: range.lowerBound - first, length: range.count)
                           }, noiseSeed: noiseSeeds.dec, phaseFrom: source)
  }

  /// Audio of vectors `span`: (2, span.count · samplesPerVector). Spans must follow each other; the
  /// inverse STFT's overlap tail waits for the next span, or for `finish()`.
  public func audio(vectors span: Range<Int>, available: Int?, latents: (Range<Int>) throws -> Tensor,
                    noiseSeeds: (dec2: UInt64, dec: UInt64)) throws -> Tensor {
    let (magnitude, decodedPhase, following) = try spectrogram(vectors: span, available: available, latents: latents,
                                                               noiseSeeds: noiseSeeds, phaseFrom: phase.source)
    let started = ContinuousClock.now
    defer { stageSeconds.inverse += (ContinuousClock.now - started).seconds }
    return try withNoGrad {
      let levels = magnitude.transposed(1, 2).contiguous()  // (2, frames, bins)
      let phaseStarted = ContinuousClock.now
      let angles = phase.framesMajorAngles(levels: levels, phase: decodedPhase,
                                           next: following?.narrow(dim: 2, start: 0, length: 1))  // (2, frames, bins)
      let refined = try refinement.map { try refine(levels: levels, angles: angles, following: following, with: $0) }
      stageSeconds.phase += (ContinuousClock.now - phaseStarted).seconds
      // In blocks of frames, so that the complex spectrum and the frames of the inverse FFT stay in the
      // caches (the overlap-add carries its tail from block to block as from chunk to chunk).
      let frames = levels.size(1)
      let block = Self.inverseBlockFrames
      var pieces: [Tensor] = []
      for first in stride(from: 0, to: frames, by: block) {
        let count = min(block, frames - first)
        pieces.append(inverse.push(framesMajor: refined?.narrow(dim: 1, start: first, length: count)
          ?? codec.frontEnd.framesMajorSpectrum(magnitude: levels.narrow(dim: 1, start: first, length: count),
                                                angles: angles.narrow(dim: 1, start: first, length: count))))
      }
      return pieces.count == 1 ? pieces[0] : Tensor.cat(pieces, dim: 1)
    }
  }

  /// The span's complex spectrum (2, frames, bins) after `refinement`, from its magnitude `levels` and
  /// integrated `angles` (2, frames, bins), the frames kept from before it and those after it
  /// (`following`, (2, bins, n), integrated here ahead, the state left for the next span).
  private func refine(levels: Tensor, angles: Tensor, following: Tensor?, with refinement: GriffinLim) throws -> Tensor {
    let span = codec.frontEnd.framesMajorSpectrum(magnitude: levels, angles: angles)  // (2, frames, bins)
    var ahead: Tensor?
    if let following {
      let count = min(refinementReach, following.size(2))
      let aheadLevels = following.narrow(dim: 2, start: 0, length: count).transposed(1, 2).contiguous()
      let afterAhead = following.size(2) > count ? following.narrow(dim: 2, start: count, length: 1) : nil
      ahead = codec.frontEnd.framesMajorSpectrum(
        magnitude: aheadLevels, angles: phase.framesMajorAnglesAhead(levels: aheadLevels, next: afterAhead))
    }
    let before = refinementHistory
    let window = Tensor.cat([before, span, ahead].compactMap { $0 }, dim: 1)  // (2, W, bins)
    let refined = try refinement.refined(framesMajor: window)  // (2, W, bins)
    // The next span's history: the window's last frames up to this span's end, as integrated.
    let (first, end) = (before?.size(1) ?? 0, (before?.size(1) ?? 0) + span.size(1))
    let kept = min(refinementReach, end)
    refinementHistory = window.narrow(dim: 1, start: end - kept, length: kept).contiguous()
    return refined.narrow(dim: 1, start: first, length: span.size(1))
  }

  /// Frames per block of the inverse STFT within a span: at 128-vector chunks its share of generation
  /// fell from 12–13 % (the whole 2048-frame span at once) to 9 % (4 alternating 120-s runs of
  /// `musika bench generate`, 2-core Xeon).
  static let inverseBlockFrames = 256

  /// DEC2's and DEC's seeds for a whole piece (a stream, a decoded file): the noise is tied to positions,
  /// so one pair serves every span, and the span size does not change the audio.
  public static func noiseSeeds(piece seed: UInt64) -> (dec2: UInt64, dec: UInt64) {
    (Seed.derive(seed, ["dec2"]), Seed.derive(seed, ["dec"]))
  }

  /// The inverse STFT's last tail, (2, nFFT − hop) samples, that ends a finite piece.
  public func finish() -> Tensor? { inverse.finish() }
}

/// Where a `StreamingDecoder`'s time went: seconds in DEC2, in DEC, and in phase reconstruction with
/// the overlap-add inverse STFT (not the making of the latents DEC2 reads: a `MusicStream` counts its
/// generator windows in `generatorSeconds`).
public struct DecodeStageSeconds: Sendable {
  public var dec2 = 0.0
  public var dec = 0.0
  /// Phase reconstruction and the inverse STFT together.
  public var inverse = 0.0
  /// Of `inverse`: the phase alone (read from DEC's head, or integrated from the magnitude, with the
  /// frames integrated ahead and the fast Griffin-Lim refinement when the codec refines it).
  public var phase = 0.0
}
