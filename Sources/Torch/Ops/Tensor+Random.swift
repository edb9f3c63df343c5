import CTorch

/// Random draws. Each takes an explicit `Generator` (or, for `positionalNormal`, a seed and positions);
/// draws for another device are made on the CPU and moved, so a seed gives the same values on every
/// device.
extension Tensor {
  /// N(0, 1) noise of shape (batch, 1, length) tied to positions start ..< start + length (taken modulo
  /// `period` when given): each value depends on (seed, batch item, position) alone, so any span of a
  /// longer sequence draws the same values there. float32.
  public static func positionalNormal(seed: UInt64, batch: Int, start: Int, length: Int, period: Int? = nil) -> Tensor {
    must {
      try make("positional_normal") {
        ct_random_positional_normal($0, seed, Int64(batch), Int64(start), Int64(length), Int64(period ?? 0))
      }
    }
  }

  /// Standard normal values (or N(mean, std²)).
  public static func randn(_ shape: [Int], generator: Generator, mean: Double = 0, std: Double = 1,
                           dtype: DType = .float32, device: Device = .cpu) -> Tensor {
    must {
      try withInt64s(shape) { dims, n in
        try make("randn") { ct_random_normal($0, generator.handle, dims, n, mean, std, dtype.rawValue, device.code) }
      }
    }
  }

  /// Uniform values in [low, high).
  public static func uniform(_ shape: [Int], low: Double = 0, high: Double = 1, generator: Generator,
                             dtype: DType = .float32, device: Device = .cpu) -> Tensor {
    must {
      try withInt64s(shape) { dims, n in
        try make("uniform") {
          ct_random_uniform($0, generator.handle, dims, n, low, high, dtype.rawValue, device.code)
        }
      }
    }
  }

  /// Standard normal values, each redrawn until |x| ≤ bound (Musika's truncation trick).
  public static func truncatedNormal(_ shape: [Int], bound: Double, generator: Generator, dtype: DType = .float32,
                                     device: Device = .cpu) -> Tensor {
    must { try tryTruncatedNormal(shape, bound: bound, generator: generator, dtype: dtype, device: device) }
  }

  public static func tryTruncatedNormal(_ shape: [Int], bound: Double, generator: Generator,
                                        dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
    try withInt64s(shape) { dims, n in
      try make("truncated_normal") {
        ct_random_truncated_normal($0, generator.handle, dims, n, bound, dtype.rawValue, device.code)
      }
    }
  }

  /// Integers uniformly in [low, high), int64.
  public static func randint(_ low: Int, _ high: Int, shape: [Int], generator: Generator,
                             device: Device = .cpu) -> Tensor {
    must {
      try withInt64s(shape) { dims, n in
        try make("randint") { ct_random_int($0, generator.handle, Int64(low), Int64(high), dims, n, device.code) }
      }
    }
  }

  /// A random permutation of 0..<n, int64.
  public static func randperm(_ n: Int, generator: Generator, device: Device = .cpu) -> Tensor {
    must { try make("randperm") { ct_random_permutation($0, generator.handle, Int64(n), device.code) } }
  }

  /// Fills this tensor in place with N(mean, std²) draws (no autograd).
  public func fillNormal(generator: Generator, mean: Double = 0, std: Double = 1) {
    must { try check("normal_", ct_random_normal_(handle, generator.handle, mean, std)) }
  }

  /// Fills this tensor in place with U[low, high) draws (no autograd).
  public func fillUniform(generator: Generator, low: Double, high: Double) {
    must { try check("uniform_", ct_random_uniform_(handle, generator.handle, low, high)) }
  }
}
