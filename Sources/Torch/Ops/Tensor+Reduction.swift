import CTorch

/// Reductions. An empty `dims` reduces over every element.
extension Tensor {
  private enum Reduction: Int32 { case sum = 0, mean, amax, amin, prod }

  private func reduce(_ op: Reduction, _ name: String, _ dims: [Int], _ keepDim: Bool) throws -> Tensor {
    try withInt64s(dims) { d, n in
      try Tensor.make(name) { ct_op_reduce($0, op.rawValue, handle, d, n, keepDim ? 1 : 0) }
    }
  }

  public func sum(dims: [Int] = [], keepDim: Bool = false) -> Tensor { must { try reduce(.sum, "sum", dims, keepDim) } }
  public func mean(dims: [Int] = [], keepDim: Bool = false) -> Tensor {
    must { try reduce(.mean, "mean", dims, keepDim) }
  }
  public func amax(dims: [Int] = [], keepDim: Bool = false) -> Tensor { must { try reduce(.amax, "amax", dims, keepDim) } }
  public func amin(dims: [Int] = [], keepDim: Bool = false) -> Tensor { must { try reduce(.amin, "amin", dims, keepDim) } }
  public func prod(dims: [Int] = [], keepDim: Bool = false) -> Tensor { must { try reduce(.prod, "prod", dims, keepDim) } }

  public func trySum(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(.sum, "sum", dims, keepDim) }
  public func tryMean(dims: [Int] = [], keepDim: Bool = false) throws -> Tensor {
    try reduce(.mean, "mean", dims, keepDim)
  }

  /// Variance with Bessel `correction` (1 = sample variance, 0 = population variance).
  public func variance(dims: [Int] = [], correction: Int = 1, keepDim: Bool = false) -> Tensor {
    must { try varStd(isStd: false, dims, correction, keepDim) }
  }

  /// Standard deviation with Bessel `correction` (1 = sample, 0 = population).
  public func std(dims: [Int] = [], correction: Int = 1, keepDim: Bool = false) -> Tensor {
    must { try varStd(isStd: true, dims, correction, keepDim) }
  }

  private func varStd(isStd: Bool, _ dims: [Int], _ correction: Int, _ keepDim: Bool) throws -> Tensor {
    try withInt64s(dims) { d, n in
      try Tensor.make(isStd ? "std" : "var") {
        ct_op_var_std($0, isStd ? 1 : 0, handle, d, n, Int64(correction), keepDim ? 1 : 0)
      }
    }
  }

  public func argmax(dim: Int, keepDim: Bool = false) -> Tensor {
    must { try Tensor.make("argmax") { ct_op_argmax($0, handle, Int64(dim), keepDim ? 1 : 0) } }
  }

  /// Running sum along `dim`: out[i] = self[0] + … + self[i].
  public func cumsum(dim: Int) -> Tensor {
    must { try Tensor.make("cumsum") { ct_op_cumsum($0, handle, Int64(dim)) } }
  }
}
