import Testing

@testable import Torch

@Suite("No leaks", .serialized)
struct MemoryTests {
  @Test func tenThousandOpCallsKeepMemoryFlat() {
    let a = Tensor.randn([64, 64], generator: Generator(seed: 1))
    let b = Tensor.randn([64, 64], generator: Generator(seed: 2))
    let w = Tensor.randn([8, 64, 3], generator: Generator(seed: 3))
    func work() {
      // Five op calls per iteration, across the arithmetic, nn, reduction and data-access paths.
      let y = (a * b + 1).unsqueeze(0).conv1d(w, padding: 1)
      _ = y.sum().item()
    }
    for _ in 0..<200 { work() }  // warm up allocator caches and oneDNN primitives
    let liveBefore = TorchRuntime.liveTensorCount
    let rssBefore = residentBytes()
    for _ in 0..<2_000 { work() }  // 10,000 op calls
    let rssAfter = residentBytes()
    let liveAfter = TorchRuntime.liveTensorCount
    #expect(liveAfter == liveBefore, "tensor handles leaked: \(liveAfter - liveBefore)")
    // Each iteration allocates ~50 KB; a leak of any one tensor would add ~100 MB over the loop.
    let growth = rssAfter - rssBefore
    #expect(growth < 8 << 20, "resident memory grew by \(growth >> 10) KiB over 10,000 op calls")
  }

  @Test func failingCallsDoNotLeakEither() {
    let x = Tensor.zeros([1, 3, 8])
    let w = Tensor.zeros([4, 5, 3])
    let before = TorchRuntime.liveTensorCount
    for _ in 0..<1_000 { _ = try? x.tryConv1d(w) }
    #expect(TorchRuntime.liveTensorCount == before)
  }
}
