import Testing

@testable import Torch

@Suite("CPU features")
struct CPUFeaturesTests {
  @Test func readsTheFirstProcessorsFlags() {
    let sapphireRapids = """
      processor\t: 0
      model name\t: Intel(R) Xeon(R) Processor
      flags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_fp16
      processor\t: 1
      flags\t\t: fpu
      """
    let features = CPUFeatures(cpuinfo: "vendor_id\t: GenuineIntel\n" + sapphireRapids)
    #expect(features.flags == ["fpu", "sse2", "avx2", "avx512f", "avx512_bf16", "avx512_fp16"])
    #expect(features.vendor == "GenuineIntel")
    // AVX-512 BF16 without AMX: bf16 decoder convs measured 0.73× fp32's rate, so not fast.
    #expect(!features.hasFastBFloat16)
  }

  /// AMD's AVX-512 BF16 (Zen 4: decoder convs bf16 ÷ fp32 1.97, `musika bench engine`) counts as
  /// fast; the same flag on Intel without AMX measured 0.73 and does not.
  @Test func bf16IsFastWithAMXOrOnAMDWithAVX512BF16() {
    let zen4 = CPUFeatures(cpuinfo: """
      processor\t: 0
      vendor_id\t: AuthenticAMD
      model name\t: AMD EPYC
      flags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni
      """)
    #expect(zen4.vendor == "AuthenticAMD" && zen4.hasFastBFloat16)
    #expect(zen4.bfloat16Reason.contains("AMD"))
    #expect(!CPUFeatures(flags: ["avx512f", "avx512_bf16"], vendor: "GenuineIntel").hasFastBFloat16)
    #expect(!CPUFeatures(flags: ["avx2", "fma"], vendor: "AuthenticAMD").hasFastBFloat16)  // Zen 3 and older
  }

  @Test func bf16IsFastWithAMXOnIntel() {
    let epyc = CPUFeatures(cpuinfo: "model name\t: AMD EPYC\nflags\t\t: fpu avx2 fma\n")
    #expect(epyc.flags.contains("avx2") && !epyc.hasFastBFloat16)
    #expect(CPUFeatures(flags: ["amx_bf16", "amx_tile"]).hasFastBFloat16)
    #expect(!CPUFeatures(flags: ["avx512f", "avx512bw"]).hasFastBFloat16)  // AVX-512 without BF16: emulated
    #expect(!CPUFeatures(flags: ["avx512f", "avx512_bf16"]).hasFastBFloat16)
    let arm = CPUFeatures(cpuinfo: "processor\t: 0\nFeatures\t: fp asimd bf16\n")
    #expect(arm.flags.contains("asimd") && !arm.hasFastBFloat16)
    #expect(CPUFeatures(cpuinfo: "").flags.isEmpty)
  }
}
