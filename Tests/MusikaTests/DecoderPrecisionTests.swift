import Foundation
import Testing
import Torch

@testable import Musika

@Suite("Decoder precision")
struct DecoderPrecisionTests {
  /// `auto` follows the CPU: bf16 with AMX or AMD's AVX-512 BF16 (Intel's AVX-512 BF16 alone
  /// measured slower than fp32).
  @Test func autoPicksBF16OnlyWhereTheCPUHasIt() {
    let sapphireRapids = CPUFeatures(flags: ["avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"])
    let epyc = CPUFeatures(flags: ["avx2", "fma"])
    #expect(DecoderPrecision.auto.dtype(on: sapphireRapids) == .bfloat16)
    #expect(DecoderPrecision.auto.dtype(on: epyc) == .float32)
    #expect(DecoderPrecision.auto.dtype(on: CPUFeatures(flags: ["avx512f", "avx512_bf16"])) == .float32)
    let zen4 = CPUFeatures(flags: ["avx2", "avx512f", "avx512_bf16"], vendor: "AuthenticAMD")
    #expect(DecoderPrecision.auto.dtype(on: zen4) == .bfloat16)
    #expect(DecoderPrecision.auto.describe(on: zen4) == "bf16 (auto: AVX-512 BF16 on an AMD CPU; --precision fp32 for full precision)")
    for cpu in [sapphireRapids, epyc] {
      #expect(DecoderPrecision.fp32.dtype(on: cpu) == .float32)
      #expect(DecoderPrecision.bf16.dtype(on: cpu) == .bfloat16)
    }
    #expect(DecoderPrecision.auto.describe(on: sapphireRapids).hasPrefix("bf16 (auto"))
    #expect(DecoderPrecision.auto.describe(on: epyc).hasPrefix("fp32 (auto"))
    #expect(DecoderPrecision.fp32.describe(on: sapphireRapids) == "fp32")
  }

  /// bf16 decoders: float32 audio close to the fp32 decoding, not equal; the encoders stay float32.
  @Test func bf16DecodersStayCloseToFP32() throws {
    let codec = try SpectralCodec(config: CodecTrainerTests.config)
    codec.initialize(seed: 2)
    let latents = Tensor.randn([2 * codec.config.vectorChannels, 8], generator: Generator(seed: 4)).clamp(min: -1, max: 1)
    let fp32 = try codec.decode(latents, seed: 1)
    try codec.setDecoderPrecision(.bfloat16)
    let bf16 = try codec.decode(latents, seed: 1)
    #expect(bf16.dtype == .float32 && bf16.shape == fp32.shape)
    #expect(codec.decoder.parameters.allSatisfy { $0.dtype == .bfloat16 })
    #expect(codec.encoder.parameters.allSatisfy { $0.dtype == .float32 })
    let r = correlation(bf16, fp32)
    #expect(r > 0.9 && !identical(bf16, fp32), "bf16 vs fp32 correlation \(r)")
    // The original's window-by-window decoding (what codec eval's seam column compares with) too.
    let original = try codec.decodeLikeTheOriginal(latents, seed: 1)
    #expect(original.dtype == .float32 && original.shape == fp32.shape)
  }
}
