import CTorch

/// Joining, splitting and re-viewing. Views share storage with their source.
extension Tensor {
  public static func cat(_ tensors: [Tensor], dim: Int) -> Tensor { must { try tryCat(tensors, dim: dim) } }

  public static func tryCat(_ tensors: [Tensor], dim: Int) throws -> Tensor {
    try withHandles(tensors) { hs, n in try make("cat") { ct_op_cat($0, hs, n, Int64(dim)) } }
  }

  public static func stack(_ tensors: [Tensor], dim: Int) -> Tensor { must { try tryStack(tensors, dim: dim) } }

  public static func tryStack(_ tensors: [Tensor], dim: Int) throws -> Tensor {
    try withHandles(tensors) { hs, n in try make("stack") { ct_op_stack($0, hs, n, Int64(dim)) } }
  }

  /// Pieces of the given sizes along `dim`.
  public func split(sizes: [Int], dim: Int) -> [Tensor] { must { try trySplit(sizes: sizes, dim: dim) } }

  public func trySplit(sizes: [Int], dim: Int) throws -> [Tensor] {
    var outs = [ct_tensor?](repeating: nil, count: sizes.count)
    try withInt64s(sizes) { s, n in
      try outs.withUnsafeMutableBufferPointer { buffer in
        try check("split", ct_op_split(buffer.baseAddress, handle, s, n, Int64(dim)))
      }
    }
    return outs.map { Tensor(handle: $0!) }
  }

  /// At most `chunks` near-equal pieces along `dim`.
  public func chunk(_ chunks: Int, dim: Int) -> [Tensor] {
    must {
      var outs = [ct_tensor?](repeating: nil, count: max(chunks, 0))
      var produced: Int64 = 0
      try outs.withUnsafeMutableBufferPointer { buffer in
        try check("chunk", ct_op_chunk(buffer.baseAddress, &produced, handle, Int64(chunks), Int64(dim)))
      }
      return outs.prefix(Int(produced)).map { Tensor(handle: $0!) }
    }
  }

  /// `length` elements of `dim` starting at `start` (a view).
  public func narrow(dim: Int, start: Int, length: Int) -> Tensor {
    must { try tryNarrow(dim: dim, start: start, length: length) }
  }

  public func tryNarrow(dim: Int, start: Int, length: Int) throws -> Tensor {
    try Tensor.make("narrow") { ct_op_narrow($0, handle, Int64(dim), Int64(start), Int64(length)) }
  }

  /// The slice at `index` of `dim`, with that dimension removed (a view).
  public func select(dim: Int, index: Int) -> Tensor {
    must { try Tensor.make("select") { ct_op_select($0, handle, Int64(dim), Int64(index)) } }
  }

  public func reshape(_ shape: [Int]) -> Tensor { must { try tryReshape(shape) } }
  public func reshape(_ shape: Int...) -> Tensor { reshape(shape) }

  public func tryReshape(_ shape: [Int]) throws -> Tensor {
    try withInt64s(shape) { s, n in try Tensor.make("reshape") { ct_op_reshape($0, handle, s, n) } }
  }

  /// Merges dimensions `from...` into one.
  public func flatten(from dim: Int = 0) -> Tensor {
    let s = shape
    let d = dim < 0 ? s.count + dim : dim
    return reshape(Array(s[..<d]) + [s[d...].reduce(1, *)])
  }

  public func permute(_ dims: [Int]) -> Tensor {
    must { try withInt64s(dims) { d, n in try Tensor.make("permute") { ct_op_permute($0, handle, d, n) } } }
  }

  public func permute(_ dims: Int...) -> Tensor { permute(dims) }

  public func transposed(_ dim0: Int, _ dim1: Int) -> Tensor {
    must { try Tensor.make("transpose") { ct_op_transpose($0, handle, Int64(dim0), Int64(dim1)) } }
  }

  /// Broadcasts size-1 dimensions to `shape` without copying (-1 keeps a size).
  public func expand(_ shape: [Int]) -> Tensor {
    must { try withInt64s(shape) { s, n in try Tensor.make("expand") { ct_op_expand($0, handle, s, n) } } }
  }

  /// Tiles the tensor `repeats[i]` times along each dimension (copies).
  public func repeated(_ repeats: [Int]) -> Tensor {
    must { try withInt64s(repeats) { r, n in try Tensor.make("repeat") { ct_op_repeat($0, handle, r, n) } } }
  }

  public func unsqueeze(_ dim: Int) -> Tensor {
    must { try Tensor.make("unsqueeze") { ct_op_unsqueeze($0, handle, Int64(dim)) } }
  }

  public func squeeze(_ dim: Int) -> Tensor {
    must { try Tensor.make("squeeze") { ct_op_squeeze($0, handle, Int64(dim)) } }
  }

  public func flip(dims: [Int]) -> Tensor {
    must { try withInt64s(dims) { d, n in try Tensor.make("flip") { ct_op_flip($0, handle, d, n) } } }
  }

  /// Rows (or slices) of `dim` at the int64 `index` positions.
  public func indexSelect(dim: Int, index: Tensor) -> Tensor {
    must { try Tensor.make("index_select") { ct_op_index_select($0, handle, Int64(dim), index.handle) } }
  }
}
