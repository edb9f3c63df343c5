import Audio
import Foundation
import Testing
import Torch

@testable import Musika

@Suite("SpectralCodec: audio ⇄ latents")
struct SpectralCodecTests {
  static let tiny = CodecConfig.musika44k.scaled(by: 1.0 / 16, name: "tiny")

  private func makeCodec(noise: Double = 0.1, phase: PhaseRepresentation? = nil) throws -> SpectralCodec {
    let config = phase.map { Self.tiny.withPhase($0) } ?? Self.tiny
    let codec = try SpectralCodec(config: config)
    codec.initialize(seed: 1)
    for (name, p) in codec.namedParameters() where name.hasSuffix("noise.strength") { p.fill(noise) }
    return codec
  }

  @Test func floorSetsTheNormalisationRange() throws {
    let config = Self.tiny.withFloor(decibelsBelowFullScale: 100)
    let codec = try SpectralCodec(config: config)
    let rate = Double(config.sampleRate)
    // A full-scale sine on a bin centre sits 6 dB under +1; one 100 dB quieter sits at −1; one 120 dB
    // quieter is clamped to −1 (DEC's output cannot go lower), while the original's normalisation
    // still tells it from silence.
    func peak(_ amplitude: Double, _ frontEnd: SpectralFrontEnd) throws -> Double {
      let t = Tensor.arange(0, 16_384, dtype: .float32) * (2 * Double.pi * 64 * rate / 1024 / rate)
      let s = try frontEnd.analyze((t.sin() * amplitude).reshape([1, -1]))
      return s.narrow(dim: 1, start: 64, length: 1).narrow(dim: 2, start: 8, length: 8).mean().item()
    }
    #expect(abs(try peak(1, codec.frontEnd) - (1 - 6 / config.sigma)) < 0.01)
    #expect(abs(try peak(1e-5, codec.frontEnd) - -1) < 0.01)
    #expect(try peak(1e-6, codec.frontEnd) == -1)
    let original = try SpectralCodec(config: Self.tiny).frontEnd
    #expect(try peak(1e-6, original) > -0.9)
    #expect(abs(try peak(1, original) - 0.976) < 0.01)
  }

  @Test func geometry() throws {
    let codec = try makeCodec()
    #expect(codec.samplesPerVector == 4096)
    #expect(codec.sampleCount(vectors: 4) == 63 * 256 + 1024)
    #expect(codec.vectorCount(samples: codec.sampleCount(vectors: 4)) == 4)
    #expect(codec.vectorCount(samples: codec.sampleCount(vectors: 4) - 1) == 3)
  }

  @Test func roundTripShapesAndDeterminism() throws {
    let codec = try makeCodec()
    let audio = Tensor.randn([2, 5 * 4096 + 3000], generator: Generator(seed: 2)) * 0.1
    let latents = try withNoGrad { try codec.encode(audio) }
    #expect(latents.shape == [128, 5])
    #expect(latents.abs().amax().item() <= 1)
    let a = try codec.decode(latents, seed: 9)
    #expect(a.shape == [2, codec.sampleCount(vectors: 5)])
    let b = try codec.decode(latents, seed: 9)
    #expect(identical(a, b), "\(difference(a, b))")
    let c = try codec.decode(latents, seed: 10)
    #expect(!identical(a, c))
  }

  @Test(arguments: PhaseRepresentation.allCases)
  func chunkedDecodingEqualsWholePieceDecoding(phase: PhaseRepresentation) throws {
    // Without noise, decoding in spans with context must give what one pass over the piece gives
    // (for a running-sum phase, the sum is carried from span to span).
    let codec = try makeCodec(noise: 0, phase: phase)
    let latents = Tensor.uniform([128, 40], low: -1, high: 1, generator: Generator(seed: 3))
    for small in [4, 7, 16] {
      let specWhole = try codec.decodeSpectrogram(latents, seed: 1, vectorsPerSpan: 1000)
      let specSmall = try codec.decodeSpectrogram(latents, seed: 1, vectorsPerSpan: small)
      #expect((specWhole.magnitude - specSmall.magnitude).abs().amax().item() < 1e-5, "spans of \(small)")
      #expect((specWhole.phase - specSmall.phase).abs().amax().item() < 1e-5, "spans of \(small)")
      let audioWhole = try codec.decode(latents, seed: 1, vectorsPerSpan: 1000)
      let audioSmall = try codec.decode(latents, seed: 1, vectorsPerSpan: small)
      #expect(audioWhole.shape == [2, codec.sampleCount(vectors: 40)])
      #expect((audioWhole - audioSmall).abs().amax().item() < 1e-5, "spans of \(small)")
      let synthesized = try codec.synthesize(magnitude: specWhole.magnitude, phase: specWhole.phase)
      #expect((synthesized - audioSmall).abs().amax().item() < 1e-5, "spans of \(small) vs one inverse STFT")
    }
    // Level 1 alone (DEC over frames) in spans of 64 frames equals one pass too.
    let frames = Tensor.uniform([2, 64, 640], low: -1, high: 1, generator: Generator(seed: 4))
    let whole = try codec.decodeAudio(frames: frames, seed: 1, framesPerSpan: 100_000)
    let spans = try codec.decodeAudio(frames: frames, seed: 1, framesPerSpan: 64)
    #expect((whole - spans).abs().amax().item() < 1e-5)
    // The original's independent windows (no context) differ: the context is needed, not decorative.
    let original = try codec.decodeLikeTheOriginal(latents, seed: 1)
    #expect(try (original - codec.decode(latents, seed: 1, vectorsPerSpan: 1000)).abs().amax().item() > 1e-3)
  }

  @Test func chunkedDecodingWithPhaseFromTheMagnitudeEqualsWholePieceDecoding() throws {
    // The integrator's state (the last frame) and DEC's lookahead frame carry across spans.
    let codec = try makeCodec(noise: 0)
    codec.phaseSource = .magnitude
    let latents = Tensor.uniform([128, 24], low: -1, high: 1, generator: Generator(seed: 3))
    let whole = try codec.decode(latents, seed: 1, vectorsPerSpan: 1000)
    let spectrogram = try codec.decodeSpectrogram(latents, seed: 1, vectorsPerSpan: 1000)
    let synthesized = try codec.synthesize(magnitude: spectrogram.magnitude, phase: spectrogram.phase)
    #expect((whole - synthesized).abs().amax().item() < 1e-4, "one span vs one inverse STFT")
    for small in [5, 8] {
      let spans = try codec.decode(latents, seed: 1, vectorsPerSpan: small)
      #expect((whole - spans).abs().amax().item() < 1e-4, "spans of \(small)")
    }
    // And it is not DEC's phase.
    codec.phaseSource = .decoder
    #expect(try (codec.decode(latents, seed: 1) - whole).abs().amax().item() > 1e-3)
  }

  /// With fast Griffin-Lim on the integrated phase, each span is refined with the frames within the
  /// refinement's reach on both sides (the ones before as integrated, the ones after decoded and
  /// integrated ahead): spans of any size, down to one vector (16 frames: more than 4 iterations' reach
  /// of 12 frames on each side, a third of 16 iterations' 48, whose history then spans several spans
  /// and whose lookahead is cut short by the piece's end), equal the whole piece refined at once.
  @Test(arguments: [4, 16])
  func chunkedDecodingWithARefinedPhaseEqualsWholePieceDecoding(iterations: Int) throws {
    let codec = try makeCodec(noise: 0)
    codec.phaseSource = .magnitude
    let latents = Tensor.uniform([128, 24], low: -1, high: 1, generator: Generator(seed: 3))
    let integrated = try codec.decode(latents, seed: 1, vectorsPerSpan: 1000)
    codec.phaseIterations = iterations
    let whole = try codec.decode(latents, seed: 1, vectorsPerSpan: 1000)
    let spectrogram = try codec.decodeSpectrogram(latents, seed: 1, vectorsPerSpan: 1000)
    let synthesized = try codec.synthesize(magnitude: spectrogram.magnitude, phase: spectrogram.phase)
    #expect(whole.shape == synthesized.shape)
    #expect((whole - synthesized).abs().amax().item() < 1e-4, "one span vs the whole spectrogram refined at once")
    for small in [1, 5, 8] {
      let spans = try codec.decode(latents, seed: 1, vectorsPerSpan: small)
      #expect((whole - spans).abs().amax().item() < 1e-4, "spans of \(small)")
    }
    // The refinement changes the audio, and the same options give the same samples.
    #expect((whole - integrated).abs().amax().item() > 1e-3)
    #expect(try (codec.decode(latents, seed: 1, vectorsPerSpan: 5) - codec.decode(latents, seed: 1, vectorsPerSpan: 5)).abs().amax().item() == 0)
  }

  /// `phaseIterations` is read from the config and checked where it is read.
  @Test func phaseIterationsComeFromTheConfigAndAreChecked() throws {
    var config = Self.tiny
    config.phaseIterations = 3
    #expect(try SpectralCodec(config: config).phaseIterations == 3)
    #expect(try SpectralCodec(config: Self.tiny).phaseIterations == 0)
    config.phaseIterations = CodecConfig.maximumPhaseIterations + 1
    #expect { try config.validate() } throws: { "\($0)".contains("phaseIterations must be between 0 and 16") }
  }

  @Test func badInputIsAnError() throws {
    let codec = try makeCodec()
    #expect { try codec.encode(Tensor.zeros([1, 50_000])) } throws: { "\($0)".contains("stereo audio") }
    #expect { try codec.encode(Tensor.zeros([2, 2000])) } throws: { "\($0)".contains("shorter than one latent vector") }
    #expect { try codec.decode(Tensor.zeros([64, 3]), seed: 0) } throws: { "\($0)".contains("expected latents") }
  }
}

@Suite("Codec folders")
struct CodecStorageTests {
  @Test func saveAndLoadGiveTheSameDecoding() throws {
    let codec = try SpectralCodec(config: SpectralCodecTests.tiny)
    codec.initialize(seed: 4)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("codec-\(UUID())")
    defer { try? FileManager.default.removeItem(at: folder) }
    try codec.save(to: folder)
    try codec.save(to: folder)  // replacing an existing folder works too
    let loaded = try SpectralCodec.load(from: folder)
    #expect(loaded.config == codec.config)
    let latents = Tensor.uniform([128, 3], low: -1, high: 1, generator: Generator(seed: 5))
    let (a, b) = (try codec.decode(latents, seed: 1), try loaded.decode(latents, seed: 1))
    #expect(identical(a, b), "\(difference(a, b))")
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.deletingLastPathComponent().path)
      .filter { $0.contains(folder.lastPathComponent) && $0.hasPrefix(".") }
    #expect(leftovers.isEmpty)
  }

  @Test func mismatchedWeightsAreNamed() throws {
    let codec = try SpectralCodec(config: SpectralCodecTests.tiny)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("codec-\(UUID())")
    defer { try? FileManager.default.removeItem(at: folder) }
    try codec.save(to: folder)
    var bigger = SpectralCodecTests.tiny
    bigger.encoderWidth = 128
    try JSONEncoder().encode(bigger).write(to: folder.appendingPathComponent("config.json"))
    #expect { try SpectralCodec.load(from: folder) } throws: { "\($0)".contains("encoder.layers.0.conv.weight has shape") }
    #expect { try SpectralCodec.load(from: folder.appendingPathComponent("nope")) } throws: {
      "\($0)".contains("not a codec folder")
    }
  }
}
