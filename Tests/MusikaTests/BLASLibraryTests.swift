import Testing
import Torch

@testable import Musika

@Suite("The BLAS behind matrix products")
struct BLASLibraryTests {
  /// OpenBLAS gives a CPU model it does not know (a cloud VM's) its SSE3 kernels, 4–5× slower; the
  /// engine loader names the kernel family from the CPU's flags before libtorch loads OpenBLAS.
  @Test func openBLASRunsTheKernelsOfThisCPUsInstructionSet() {
    _ = Tensor.ones([4, 4]).matmul(Tensor.ones([4, 4])).sum().item()  // the engine and its BLAS are loaded
    let blas = BLASLibrary.detect()
    guard blas.kind == .openBLAS, let kernels = blas.openBLASKernels else { return }  // another BLAS: nothing to check
    let flags = CPUFeatures.current.flags
    let avx512 = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
    let preAVX2 = ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "sandybridge", "katmai", "coppermine"]
    if avx512 {
      #expect(["skylakex", "cooperlake", "sapphirerapids"].contains(kernels.lowercased()), "OpenBLAS kernels \(kernels)")
    } else if flags.contains("avx2") && flags.contains("fma") {
      #expect(!preAVX2.contains(kernels.lowercased()), "OpenBLAS kernels \(kernels)")
    }
  }
}
