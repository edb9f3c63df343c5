import Testing

@testable import Torch

@Suite("Errors are Swift errors naming the op")
struct ErrorTests {
  @Test func shapeMismatchInConvThrowsNamingTheOp() {
    let x = Tensor.zeros([1, 3, 8])
    let w = Tensor.zeros([4, 5, 3])  // expects 5 input channels
    #expect { try x.tryConv1d(w) } throws: { error in
      guard let e = error as? TorchError else { return false }
      return e.op == "conv1d" && e.description.hasPrefix("conv1d:") && e.message.contains("channels")
    }
    #expect { try x.tryConvTranspose1d(Tensor.zeros([5, 2, 4]), stride: 2) } throws: { error in
      (error as? TorchError)?.op == "conv_transpose1d"
    }
  }

  @Test func otherOpsThrowInsteadOfCrashing() {
    let a = Tensor.zeros([2, 3])
    #expect { try a.tryMatmul(Tensor.zeros([2, 3])) } throws: { ($0 as? TorchError)?.op == "matmul" }
    #expect { try a.tryReshape([4, 2]) } throws: { ($0 as? TorchError)?.op == "reshape" }
    #expect { try a.tryBinary(.add, Tensor.zeros([4])) } throws: { ($0 as? TorchError)?.op == "add" }
    #expect { try Tensor.tryCat([a, Tensor.zeros([2, 3, 1])], dim: 0) } throws: { ($0 as? TorchError)?.op == "cat" }
    #expect { try a.tryNarrow(dim: 1, start: 2, length: 5) } throws: { ($0 as? TorchError)?.op == "narrow" }
    #expect { try a.trySplit(sizes: [1, 1], dim: 1) } throws: { ($0 as? TorchError)?.op == "split" }
    #expect { try a.tryPad([3, 3], mode: .reflect) } throws: { ($0 as? TorchError)?.op == "pad" }
    #expect { try a.tryTo(device: .cuda(7)) } throws: { ($0 as? TorchError)?.op == "to" }
    #expect { try Tensor.zeros([3]).tryStft(nFFT: 1024, hop: 256) } throws: { ($0 as? TorchError)?.op == "stft" }
    #expect { try Tensor.zeros([2]).tryBackward() } throws: { ($0 as? TorchError)?.op == "backward" }
    #expect { try TorchRuntime.setThreadCount(0) } throws: { ($0 as? TorchError)?.op == "set_num_threads" }
    #expect { try Device(parsing: "tpu") } throws: { "\($0)".contains("unknown device 'tpu'") }
    // The error state is cleared: a good op right after a failure succeeds.
    #expect((a + 1).sum().item() == 6)
  }

  @Test func badBytesThrow() {
    let bytes: [UInt8] = [1, 2, 3]
    #expect(throws: TorchError.self) {
      try bytes.withUnsafeBytes { try Tensor.fromBytes($0, shape: [1], dtype: .float32) }
    }
  }
}
