import Audio
import Foundation
import Torch

/// The two-level spectral codec: stereo audio ⇄ level-2 latents (reference §1–4).
///
///   audio (2, samples) → STFT log-magnitude (2, bins, frames) → ENC → (2, latentChannels, frames)
///   → ENC2 → (2, vectorChannels, frames/16) → latents (2·vectorChannels, vectors), left then right.
///
/// Decoding goes through `StreamingDecoder`: DEC2 and DEC run over spans with context on both sides
/// (their receptive fields) and keep each span's interior, so there are no window seams. Phase is
/// predicted by DEC.
public final class SpectralCodec: Module {
  public private(set) var config: CodecConfig
  public private(set) var frontEnd: SpectralFrontEnd
  /// Built once, with its synthesis window.
  public let inverseSTFT: InverseSTFT
  public let encoder: SpectralEncoder
  public let decoder: SpectralDecoder
  public let latentEncoder: LatentEncoder
  public let latentDecoder: LatentDecoder
  /// Where decoding takes the phase from: the config's `phaseSource` unless a command overrides it.
  public var phaseSource: PhaseSource
  /// Fast Griffin-Lim iterations on the phase integrated from the magnitude: the config's
  /// `phaseIterations` unless a command overrides it (0: none; ignored for DEC's phase head).
  public var phaseIterations: Int
  /// Set by `releaseEncoders()`: the encoders' weights are gone and encoding throws.
  public private(set) var encodersReleased = false

  public init(config: CodecConfig) throws {
    try config.validate()
    self.config = config
    frontEnd = SpectralFrontEnd(stft: STFT(nFFT: config.nFFT, hop: config.hop), mu: config.mu, sigma: config.sigma,
                                equalizationDb: config.equalizationDb)
    inverseSTFT = InverseSTFT(stft: frontEnd.stft)
    encoder = SpectralEncoder(config)
    decoder = SpectralDecoder(config)
    latentEncoder = LatentEncoder(config)
    latentDecoder = LatentDecoder(config)
    phaseSource = config.phaseSource ?? .decoder
    phaseIterations = config.phaseIterations ?? 0
  }

  /// Sets the output equalisation (dB per STFT bin, nil: none) of this codec and its config. Not while
  /// anything decodes with this codec: a decoder reads the front end at every block.
  public func setEqualization(_ decibels: [Double]?) throws {
    var changed = config
    changed.equalizationDb = decibels
    try changed.validate()
    config = changed
    frontEnd = SpectralFrontEnd(stft: frontEnd.stft, mu: config.mu, sigma: config.sigma, equalizationDb: decibels)
  }

  /// Sets the phase refinement (`CodecConfig.phaseIterations`) of this codec and of its config, which
  /// `writeConfig` stores; 0 leaves it out of the config.
  public func setPhaseIterations(_ iterations: Int) throws {
    var changed = config
    changed.phaseIterations = iterations == 0 ? nil : iterations
    try changed.validate()
    config = changed
    phaseIterations = iterations
  }

  // MARK: Geometry

  /// Samples one latent vector stands for (4096 at the original's settings).
  public var samplesPerVector: Int { config.framesPerVector * config.hop }

  /// Whole vectors that `samples` samples of audio encode to.
  public func vectorCount(samples: Int) -> Int {
    frontEnd.stft.frameCount(samples: samples) / config.framesPerVector
  }

  /// Samples that `vectors` latent vectors decode to.
  public func sampleCount(vectors: Int) -> Int {
    frontEnd.stft.sampleCount(frames: vectors * config.framesPerVector)
  }

  /// Frees the encoders' weights, for a codec that will only decode (a generating model): a fifth of a
  /// full-size codec's parameters. Encoding then throws.
  public func releaseEncoders() throws {
    for parameter in encoder.parameters + latentEncoder.parameters {
      try parameter.setData(Tensor.zeros([0], dtype: parameter.dtype, device: parameter.device))
    }
    encodersReleased = true
  }

  // MARK: Encoding

  /// audio (2, samples) → level-1 latents (2, latentChannels, frames), frames a multiple of 16
  /// (a tail that does not fill a vector is dropped).
  public func encodeFrames(_ audio: Tensor) throws -> Tensor {
    guard !encodersReleased else {
      throw MusikaError.invalidInput("codec '\(config.name)' was readied for generation only (its encoders were "
        + "released); load it again to encode")
    }
    guard audio.rank == 2, audio.size(0) == 2 else {
      throw MusikaError.invalidInput("expected stereo audio of shape (2, samples), got \(audio.shape)")
    }
    let vectors = vectorCount(samples: audio.size(1))
    guard vectors > 0 else {
      throw MusikaError.invalidInput("\(audio.size(1)) samples is shorter than one latent vector "
        + "(\(sampleCount(vectors: 1)) samples, \(String(format: "%.2f", Double(sampleCount(vectors: 1)) / Double(config.sampleRate))) s)")
    }
    let frames = vectors * config.framesPerVector
    let used = audio.narrow(dim: 1, start: 0, length: frontEnd.stft.sampleCount(frames: frames))
    let spectrogram = try frontEnd.analyze(used)  // (2, bins, frames)
    return encoder(spectrogram)
  }

  /// audio (2, samples) → latents (2·vectorChannels, vectors). Long audio is encoded in pieces of
  /// `vectorsPerChunk` vectors (the encoders see no context beyond one vector, so this is exact),
  /// which keeps memory flat for files of any length.
  public func encode(_ audio: Tensor, vectorsPerChunk: Int = 64) throws -> Tensor {
    let total = vectorCount(samples: audio.size(-1))
    guard total > vectorsPerChunk else {
      let vectors = latentEncoder(try encodeFrames(audio))  // (2, vectorChannels, V)
      return vectors.reshape(2 * config.vectorChannels, vectors.size(2))
    }
    var pieces: [Tensor] = []
    var start = 0
    while start < total {
      let count = min(vectorsPerChunk, total - start)
      let piece = audio.narrow(dim: 1, start: start * samplesPerVector, length: sampleCount(vectors: count))
      pieces.append(try encode(piece, vectorsPerChunk: vectorsPerChunk))
      start += count
    }
    return Tensor.cat(pieces, dim: 1)
  }

  // MARK: Decoding

  /// Vectors per span of `decode` (5.9 s at 44.1 kHz): long spans spend little on context, and
  /// memory stays bounded for pieces of any length.
  public static let vectorsPerSpan = 64

  /// Runs the decoders (DEC2, DEC: 99 % of generation's work) in `dtype`; `StreamingDecoder` casts
  /// their inputs and outputs, so everything around them stays float32. bf16 doubled their speed on
  /// CPUs with AMX or AMD's AVX-512 BF16; it is slower elsewhere (`CPUFeatures.hasFastBFloat16`).
  public func setDecoderPrecision(_ dtype: DType) throws {
    try latentDecoder.to(dtype: dtype)
    try decoder.to(dtype: dtype)
  }

  /// The types DEC2 and DEC compute in (their weights'), which their inputs are cast to.
  var latentDecoderType: DType { latentDecoder.parameters.first?.dtype ?? .float32 }
  var decoderType: DType { decoder.parameters.first?.dtype ?? .float32 }

  /// latents (2·vectorChannels, vectors) → audio (2, samples), samples = sampleCount(vectors:), in
  /// spans of `StreamingDecoder`. The same seed gives the same samples, bit for bit.
  public func decode(_ latents: Tensor, seed: UInt64, vectorsPerSpan: Int = SpectralCodec.vectorsPerSpan) throws -> Tensor {
    let total = try checkLatents(latents)
    let decoder = StreamingDecoder(codec: self)
    var pieces: [Tensor] = []
    for span in spans(total, vectorsPerSpan) {
      pieces.append(try decoder.audio(vectors: span, available: total, latents: { latents.narrow(dim: 1, start: $0.lowerBound, length: $0.count) },
                                      noiseSeeds: StreamingDecoder.noiseSeeds(piece: seed)))
    }
    if let tail = decoder.finish() { pieces.append(tail) }
    return Tensor.cat(pieces, dim: 1)
  }

  /// latents (2·vectorChannels, vectors) → (magnitude, phase), each (2, bins, vectors·16): `decode`
  /// before the inverse STFT.
  public func decodeSpectrogram(_ latents: Tensor, seed: UInt64,
                                vectorsPerSpan: Int = SpectralCodec.vectorsPerSpan) throws -> (magnitude: Tensor, phase: Tensor) {
    let total = try checkLatents(latents)
    let decoder = StreamingDecoder(codec: self)
    var magnitudes: [Tensor] = []
    var phases: [Tensor] = []
    for span in spans(total, vectorsPerSpan) {
      let (m, p) = try decoder.spectrogram(vectors: span, available: total,
                                           latents: { latents.narrow(dim: 1, start: $0.lowerBound, length: $0.count) },
                                           noiseSeeds: StreamingDecoder.noiseSeeds(piece: seed))
      magnitudes.append(m)
      phases.append(p)
    }
    return (Tensor.cat(magnitudes, dim: 2), Tensor.cat(phases, dim: 2))
  }

  /// level-1 latents (2, latentChannels, frames) → audio (2, samples): DEC alone (level 1 only), in
  /// spans with DEC's context, then the inverse STFT.
  public func decodeAudio(frames: Tensor, seed: UInt64, framesPerSpan: Int = 1024) throws -> Tensor {
    let total = frames.size(2)
    let decoder = StreamingDecoder(codec: self)
    var magnitudes: [Tensor] = []
    var phases: [Tensor] = []
    for span in spans(total, framesPerSpan) {
      let (m, p) = try decoder.spectrogram(frames: span, available: total,
                                            frames: { frames.narrow(dim: 2, start: $0.lowerBound, length: $0.count) },
                                            noiseSeed: StreamingDecoder.noiseSeeds(piece: seed).dec)
      magnitudes.append(m)
      phases.append(p)
    }
    return try withNoGrad { try synthesize(magnitude: Tensor.cat(magnitudes, dim: 2), phase: Tensor.cat(phases, dim: 2)) }
  }

  /// The original's way (reference §7), for comparison only: DEC2 on independent 4-vector windows and
  /// DEC on independent 64-frame windows, no context, joined side by side, one inverse STFT. Its
  /// window seams are what `SeamMeter` measures.
  public func decodeLikeTheOriginal(_ latents: Tensor, seed: UInt64) throws -> Tensor {
    let total = try checkLatents(latents)
    // In the decoders' own precision (`setDecoderPrecision`), synthesised in float32, as `StreamingDecoder` does.
    let vectors = latents.reshape(2, config.vectorChannels, total).to(dtype: latentDecoderType)
    return try withNoGrad {
      let frames = Tensor.cat(spans(total, 4).enumerated().map { index, span in
        latentDecoder(vectors.narrow(dim: 2, start: span.lowerBound, length: span.count),
                      noise: NoiseSource(seed: Seed.derive(seed, ["dec2", .int(index)])))
      }, dim: 2).to(dtype: decoderType)
      let windows = spans(frames.size(2), 64).enumerated().map { index, span in
        decoder(frames.narrow(dim: 2, start: span.lowerBound, length: span.count),
                noise: NoiseSource(seed: Seed.derive(seed, ["dec", .int(index)])))
      }
      // Not refined: the windows' seams as the original has them (a refinement would smooth them over).
      return try synthesize(magnitude: Tensor.cat(windows.map(\.magnitude), dim: 2).to(dtype: .float32),
                        phase: Tensor.cat(windows.map(\.phase), dim: 2).to(dtype: .float32), iterations: 0)
    }
  }

  /// Decoder outputs (channels, bins, frames) → waveform (channels, (frames − 1)·hop + nFFT), each
  /// channel a piece of its own. The phase comes from `source` (default: `phaseSource`), from the first
  /// frame (see `PhaseTrack`); integrated from the magnitude, it is refined by `iterations` (default:
  /// `phaseIterations`) of fast Griffin-Lim over the whole piece at once, as `StreamingDecoder` refines
  /// it span by span. Training passes `.decoder`: its losses teach the head.
  public func synthesize(magnitude: Tensor, phase: Tensor, clipPhase: Bool = true, source: PhaseSource? = nil,
                         iterations: Int? = nil) throws -> Tensor {
    let source = source ?? phaseSource, phaseIterations = iterations ?? self.phaseIterations
    let track = PhaseTrack(codec: self, source: source, channels: magnitude.size(0))
    let levels = magnitude.transposed(1, 2).contiguous()  // (channels, frames, bins)
    let angles = track.framesMajorAngles(levels: levels, phase: phase, next: nil, clipPhase: clipPhase)
    let spectrum = frontEnd.framesMajorSpectrum(magnitude: levels, angles: angles)  // (channels, frames, bins)
    if source == .magnitude && phaseIterations > 0 {  // as StreamingDecoder refines it, the whole piece at once
      let refined = try GriffinLim(stft: frontEnd.stft, iterations: phaseIterations).refined(framesMajor: spectrum)
      return inverseSTFT.signal(framesMajor: refined)
    }
    return inverseSTFT.signal(framesMajor: spectrum)
  }

  private func checkLatents(_ latents: Tensor) throws -> Int {
    guard latents.rank == 2, latents.size(0) == 2 * config.vectorChannels, latents.size(1) > 0 else {
      throw MusikaError.invalidInput("expected latents of shape (\(2 * config.vectorChannels), vectors), got \(latents.shape)")
    }
    return latents.size(1)
  }

  private func spans(_ total: Int, _ size: Int) -> [Range<Int>] {
    stride(from: 0, to: total, by: size).map { $0..<min($0 + size, total) }
  }
}
