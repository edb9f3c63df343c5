import CTorch

/// Process-wide libtorch settings: threads, devices, grad mode, and what the library was built with.
public enum TorchRuntime {
  /// libtorch's version, e.g. "1.13.1".
  public static var version: String { String(cString: ct_torch_version()) }

  /// Threads libtorch uses for intra-op parallelism (convolutions, matmuls).
  public static var threadCount: Int { Int(ct_get_num_threads()) }

  /// Sets the intra-op thread count. libtorch may report 1 before its first parallel op, so callers set it.
  public static func setThreadCount(_ count: Int) throws {
    try check("set_num_threads", ct_set_num_threads(Int64(count)))
  }

  /// Runs `body(i)` for i in 0..<count on libtorch's intra-op threads, one index per task, and returns
  /// when all are done. For CPU work between tensor ops (e.g. per-channel loops): it uses the threads
  /// that would otherwise spin waiting for the next op instead of adding threads that compete with
  /// them. `body` may use tensors: their ops run serially on its thread (inside libtorch's parallel
  /// region, a nested parallel op does not fan out), with that thread's own grad mode (wrap them in
  /// `withNoGrad` where the caller's matters); it must catch its own errors.
  public static func parallelFor(_ count: Int, _ body: (Int) -> Void) throws {
    try withoutActuallyEscaping(body) { body in
      var task = body
      try withUnsafeMutablePointer(to: &task) { pointer in
        try check("parallel_for", ct_parallel_for(Int64(count), { context, index in
          context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(index))
        }, pointer))
      }
    }
  }

  /// BLAS, oneDNN, OpenMP and CPU capability as libtorch reports them.
  public static var buildConfiguration: String {
    var pointer: UnsafeMutablePointer<CChar>?
    guard ct_torch_config(&pointer) == 0, let pointer else { return "unavailable: \(takeLastError())" }
    defer { ct_string_free(pointer) }
    return String(cString: pointer)
  }

  public static var isCUDAAvailable: Bool { ct_cuda_is_available() != 0 }
  public static var cudaDeviceCount: Int { Int(ct_cuda_device_count()) }

  /// Hands memory freed inside the process back to the system. glibc keeps freed blocks for reuse, so
  /// after dropping large weights once (e.g. `GANModel.packForGeneration`) the resident size would not
  /// shrink without this. Not for hot loops: pages given back fault in again on their next use.
  public static func releaseFreeMemory() { ct_release_free_memory() }

  /// Whether autograd records operations on this thread.
  public static var isGradEnabled: Bool { ct_is_grad_enabled() != 0 }
}

/// Runs `body` without recording autograd history (inference, in-place parameter updates).
/// Grad mode is per thread in libtorch, so call this on the thread that does the work.
public func withNoGrad<T>(_ body: () throws -> T) rethrows -> T {
  try withGradMode(enabled: false, body)
}

/// Runs `body` with autograd recording switched on or off, restoring the previous mode afterwards.
public func withGradMode<T>(enabled: Bool, _ body: () throws -> T) rethrows -> T {
  let previous = ct_set_grad_enabled(enabled ? 1 : 0)
  defer { _ = ct_set_grad_enabled(previous) }
  return try body()
}

extension TorchRuntime {
  /// Tensor handles alive right now; a number that keeps growing in a loop is a leak.
  public static var liveTensorCount: Int { Int(ct_tensor_live_count()) }
}
