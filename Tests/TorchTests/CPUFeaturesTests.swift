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
    let features = CPUFeatures(cpuinfo: sapphireRapids)
    #expect(features.flags == ["fpu", "sse2", "avx2", "avx512f", "avx512_bf16", "avx512_fp16"])
    // AVX-512 BF16 without AMX: bf16 decoder convs measured 0.73× fp32's rate, so not fast.
    #expect(!features.hasFastBFloat16)
  }

  @Test func bf16IsFastOnlyWithAMX() {
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
