import Audio
import Foundation
import Torch

/// The two-level spectral codec: stereo audio ⇄ level-2 latents (reference §1–4).
///
///   audio (2, samples) → STFT log-magnitude (2, bins, frames) → ENC → (2, latentChannels, frames)
///   → ENC2 → (2, vectorChannels, frames/16) → latents (2·vectorChannels, vectors), left then right.
///
/// Decoding runs DEC2 and DEC over chunks with context on both sides and keeps each chunk's interior,
/// so the result equals decoding the whole piece at once: there are no window seams (the original
/// decodes 0.37 s windows side by side and users hear a ~300 ms pulse). Phase is predicted by DEC.
public final class SpectralCodec: Module {
  public let config: CodecConfig
  public let frontEnd: SpectralFrontEnd
  /// Built once, with its synthesis window.
  public let inverseSTFT: InverseSTFT
  public let encoder: SpectralEncoder
  public let decoder: SpectralDecoder
  public let latentEncoder: LatentEncoder
  public let latentDecoder: LatentDecoder

  public init(config: CodecConfig) throws {
    try config.validate()
    self.config = config
    frontEnd = SpectralFrontEnd(stft: STFT(nFFT: config.nFFT, hop: config.hop), mu: config.mu, sigma: config.sigma)
    inverseSTFT = InverseSTFT(stft: frontEnd.stft)
    encoder = SpectralEncoder(config)
    decoder = SpectralDecoder(config)
    latentEncoder = LatentEncoder(config)
    latentDecoder = LatentDecoder(config)
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

  // MARK: Encoding

  /// audio (2, samples) → level-1 latents (2, latentChannels, frames), frames a multiple of 16
  /// (a tail that does not fill a vector is dropped).
  public func encodeFrames(_ audio: Tensor) throws -> Tensor {
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

  /// Chunking of the decoders. Context must cover each network's receptive field (DEC2 ≈ 3.6
  /// vectors, DEC ≈ 29 frames); chunk starts stay aligned to DEC's three stride-2 levels.
  public struct Chunking: Sendable {
    public var vectorsPerChunk = 16
    public var vectorContext = 4
    public var framesPerChunk = 256
    public var frameContext = 32

    public init() {}
  }

  /// latents (2·vectorChannels, vectors) → level-1 latents (2, latentChannels, vectors·16).
  public func decodeFrames(_ latents: Tensor, seed: UInt64, chunking: Chunking = Chunking()) throws -> Tensor {
    guard latents.rank == 2, latents.size(0) == 2 * config.vectorChannels, latents.size(1) > 0 else {
      throw MusikaError.invalidInput("expected latents of shape (\(2 * config.vectorChannels), vectors), got \(latents.shape)")
    }
    let vectors = latents.reshape(2, config.vectorChannels, latents.size(1))
    return SpectralCodec.chunked(vectors, chunk: chunking.vectorsPerChunk, context: chunking.vectorContext,
                                 scale: config.framesPerVector) { index, window in
      latentDecoder.seedRandomness(Seed.derive(seed, ["dec2", .int(index)]))
      return latentDecoder(window)
    }
  }

  /// level-1 latents (2, latentChannels, frames) → (magnitude, phase), each (2, bins, frames).
  public func decodeSpectrogram(_ frames: Tensor, seed: UInt64,
                                chunking: Chunking = Chunking()) -> (magnitude: Tensor, phase: Tensor) {
    let both = SpectralCodec.chunked(frames, chunk: chunking.framesPerChunk, context: chunking.frameContext,
                                     scale: 1) { index, window in
      decoder.seedRandomness(Seed.derive(seed, ["dec", .int(index)]))
      let (magnitude, phase) = decoder(window)
      return Tensor.cat([magnitude, phase], dim: 1)
    }
    let halves = both.split(sizes: [config.bins, config.bins], dim: 1)
    return (halves[0], halves[1])
  }

  /// Decoder outputs (…, bins, frames) → waveform (…, (frames − 1)·hop + nFFT).
  public func synthesize(magnitude: Tensor, phase: Tensor, clipPhase: Bool = true) -> Tensor {
    inverseSTFT(frontEnd.spectrum(magnitude: magnitude, phase: phase, clipPhase: clipPhase))
  }

  /// level-1 latents (2, latentChannels, frames) → audio (2, samples): DEC, then the inverse STFT.
  public func decodeAudio(frames: Tensor, seed: UInt64, chunking: Chunking = Chunking()) -> Tensor {
    withNoGrad {
      let (magnitude, phase) = decodeSpectrogram(frames, seed: seed, chunking: chunking)
      return synthesize(magnitude: magnitude, phase: phase)
    }
  }

  /// latents (2·vectorChannels, vectors) → audio (2, samples), samples = sampleCount(vectors:).
  /// The same seed gives the same samples, bit for bit.
  public func decode(_ latents: Tensor, seed: UInt64, chunking: Chunking = Chunking()) throws -> Tensor {
    let frames = try withNoGrad { try decodeFrames(latents, seed: seed, chunking: chunking) }
    return decodeAudio(frames: frames, seed: seed, chunking: chunking)
  }

  /// Runs `body` on windows of `chunk` steps (plus up to `context` steps each side, fewer at the
  /// ends) along the last axis of (batch, channels, steps), and joins the interiors. `scale` is the
  /// output steps per input step.
  static func chunked(_ x: Tensor, chunk: Int, context: Int, scale: Int,
                      _ body: (Int, Tensor) -> Tensor) -> Tensor {
    let steps = x.size(2)
    var pieces: [Tensor] = []
    var start = 0
    var index = 0
    while start < steps {
      let length = min(chunk, steps - start)
      let left = min(context, start)
      let right = min(context, steps - start - length)
      let window = x.narrow(dim: 2, start: start - left, length: left + length + right)
      let out = body(index, window)
      pieces.append(out.narrow(dim: 2, start: left * scale, length: length * scale))
      start += length
      index += 1
    }
    return pieces.count == 1 ? pieces[0] : Tensor.cat(pieces, dim: 2)
  }
}
