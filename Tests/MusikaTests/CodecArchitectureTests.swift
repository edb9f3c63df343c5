import Foundation
import Testing
import Torch

@testable import Musika

@Suite("Codec networks (reference §3–4)")
struct CodecArchitectureTests {
  @Test func fullSizeParameterCountsEqualTheOriginal() {
    let config = CodecConfig.musika44k
    #expect(SpectralEncoder(config).parameterCount == 4_790_336)
    #expect(SpectralDecoder(config).parameterCount == 12_673_291)
    #expect(LatentEncoder(config).parameterCount == 3_984_960)
    #expect(LatentDecoder(config).parameterCount == 6_639_303)
  }

  @Test func keysFollowTheArchitectureTable() {
    let keys = SpectralDecoder(.musika44k).namedParameters().map(\.0)
    #expect(keys.prefix(3) == ["g0.conv.weight", "g0.conv.bias", "g0.noise.strength"])
    #expect(keys.contains("mag.weight") && keys.contains("phase.bias") && keys.contains("p2.noise.strength"))
    #expect(!keys.contains("mag.noise.strength"))
  }

  private let tiny = CodecConfig.musika44k.scaled(by: 1.0 / 16, name: "tiny")

  @Test func shapesThroughBothLevels() {
    let enc = SpectralEncoder(tiny)
    let dec = SpectralDecoder(tiny)
    let enc2 = LatentEncoder(tiny)
    let dec2 = LatentDecoder(tiny)
    for module in [enc, dec, enc2, dec2] as [Module] { module.initialize(seed: 1) }
    let spectrogram = Tensor.uniform([2, 513, 128], low: -1, high: 1, generator: Generator(seed: 2))
    let frames = enc(spectrogram)
    #expect(frames.shape == [2, 64, 128])
    #expect(frames.abs().amax().item() <= 1)
    let vectors = enc2(frames)
    #expect(vectors.shape == [2, 64, 8])
    let back = dec2(vectors, noise: NoiseSource(seed: 0))
    #expect(back.shape == [2, 64, 128])
    let (magnitude, phase) = dec(back.narrow(dim: 2, start: 0, length: 64), noise: NoiseSource(seed: 0))
    #expect(magnitude.shape == [2, 513, 64] && phase.shape == [2, 513, 64])
    #expect(magnitude.abs().amax().item() <= 1 && phase.abs().amax().item() <= 1)
  }

  @Test func latentWindowsAreEncodedIndependently() {
    let enc2 = LatentEncoder(tiny)
    enc2.initialize(seed: 3)
    let frames = Tensor.randn([1, 64, 32], generator: Generator(seed: 4))
    let both = enc2(frames)
    let second = enc2(frames.narrow(dim: 2, start: 16, length: 16))
    #expect((both.narrow(dim: 2, start: 1, length: 1) - second).abs().amax().item() < 1e-5)
  }

  @Test func decodingIsDeterministicUnderASeed() throws {
    let dec = SpectralDecoder(tiny)
    dec.initialize(seed: 5)
    for (_, p) in dec.namedParameters() where p.shape == [1] { p.fill(0.1) }  // switch the noise on
    let x = Tensor.randn([1, 64, 64], generator: Generator(seed: 6))
    let a = dec(x, noise: NoiseSource(seed: 7)).magnitude
    let b = dec(x, noise: NoiseSource(seed: 7)).magnitude
    let c = dec(x, noise: NoiseSource(seed: 8)).magnitude
    #expect(identical(a, b), "\(difference(a, b))")
    #expect(!identical(a, c))
  }

  @Test func magnitudeAloneEqualsTheFullPassBitForBit() {
    // With the phase integrated from the magnitude, DEC skips its phase branch: the branch's noise
    // draws come last in a pass, so the magnitude is the same.
    let dec = SpectralDecoder(tiny)
    dec.initialize(seed: 5)
    for (_, p) in dec.namedParameters() where p.shape == [1] { p.fill(0.1) }  // switch the noise on
    let x = Tensor.randn([2, 64, 64], generator: Generator(seed: 6))
    let (full, alone) = withNoGrad {
      (dec(x, noise: NoiseSource(seed: 7)).magnitude, dec.magnitude(x, noise: NoiseSource(seed: 7)))
    }
    #expect(identical(full, alone), "\(difference(full, alone))")
    #expect(!identical(alone, withNoGrad { dec.magnitude(x, noise: NoiseSource(seed: 8)) }))
  }

  /// The decoders' receptive fields, derived from their layers, are the original's (reference §3–4):
  /// DEC reaches 29 frames, DEC2 3.625 vectors; chunked decoding's context follows from them.
  @Test func receptiveFieldsFollowFromTheLayers() throws {
    let codec = try SpectralCodec(config: .musika44k)
    #expect(codec.decoder.receptiveRadius == 29)
    #expect(codec.latentDecoder.receptiveRadius == 3.625)
    let streaming = StreamingDecoder(codec: codec)
    #expect(streaming.frameContext == 32 && streaming.latentContext == 4 && streaming.vectorReach == 6)
  }

  @Test func configRoundTripsAndValidates() throws {
    let data = try JSONEncoder().encode(tiny)
    let decoded = try JSONDecoder().decode(CodecConfig.self, from: data)
    #expect(decoded == tiny)
    try decoded.validate()
    var future = tiny
    future.formatVersion = 99
    #expect { try future.validate() } throws: { "\($0)".contains("newer than this release") }
    var broken = tiny
    broken.decoderWidths = [8]
    #expect { try broken.validate() } throws: { "\($0)".contains("4 decoder widths") }
  }
}
