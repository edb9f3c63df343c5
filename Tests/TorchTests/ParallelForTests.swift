import Foundation
import Testing

@testable import Torch

@Suite("TorchRuntime.parallelFor runs each task once, on libtorch's threads")
struct ParallelForTests {
  @Test(arguments: [0, 1, 2, 7, 1000])
  func everyIndexRunsExactlyOnce(count: Int) throws {
    let visits = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(count, 1))
    defer { visits.deallocate() }
    visits.initialize(repeating: 0)
    try TorchRuntime.parallelFor(count) { visits[$0] += 1 }  // each index is its own slot: no race
    #expect(visits.prefix(count).allSatisfy { $0 == 1 })
  }

  @Test func tasksShareTheIntraOpThreads() throws {
    // The engine is built without OpenMP, so at::parallel_for ran everything on the caller's thread;
    // parallelFor opens libgomp's region itself. Two tasks that each wait for the other can only
    // both finish if two threads run them at once.
    guard TorchRuntime.threadCount >= 2, ProcessInfo.processInfo.activeProcessorCount >= 2 else { return }
    let arrived = UnsafeMutablePointer<Int>.allocate(capacity: 2)
    defer { arrived.deallocate() }
    arrived.initialize(repeating: 0, count: 2)
    let met = UnsafeMutablePointer<Bool>.allocate(capacity: 2)
    defer { met.deallocate() }
    met.initialize(repeating: false, count: 2)
    try TorchRuntime.parallelFor(2) { i in
      // Volatile-enough flags: each task writes only its own slot and polls the other's.
      let mine = UnsafeMutableRawPointer(arrived + i), theirs = UnsafeMutableRawPointer(arrived + (1 - i))
      mine.storeBytes(of: 1, as: Int.self)
      let deadline = Date().addingTimeInterval(2)
      while Date() < deadline {
        if theirs.load(as: Int.self) == 1 { met[i] = true; break }
        usleep(100)
      }
    }
    #expect(met[0] && met[1], "the two tasks never ran at the same time")
  }

  @Test func aNegativeCountIsAnError() {
    #expect { try TorchRuntime.parallelFor(-1) { _ in } } throws: { ($0 as? TorchError)?.op == "parallel_for" }
  }
}
