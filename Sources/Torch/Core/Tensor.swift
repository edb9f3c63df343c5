import CTorch
import Foundation

/// An n-dimensional array on a device, backed by a libtorch tensor. The Swift object owns its
/// handle and frees it in `deinit`; several `Tensor`s may share storage (views, `shallowClone()`).
///
/// Ops read like PyTorch (`x.conv1d(w)`, `x.sum(dims: [1])`, `a + b`). Each op that can fail on
/// input data has a throwing twin (`tryConv1d`, `tryReshape`, …) for code that handles files, users
/// or the network; the plain form traps with the op's message, for validated model code.
public final class Tensor: @unchecked Sendable {
  let handle: ct_tensor

  init(handle: ct_tensor) {
    self.handle = handle
  }

  deinit {
    ct_tensor_free(handle)
  }

  /// Runs a C entry point that writes one new tensor handle.
  static func make(_ op: String, _ body: (UnsafeMutablePointer<ct_tensor?>) -> Int32) throws -> Tensor {
    Tensor(handle: try makeHandle(op, body))
  }

  static func makeHandle(_ op: String, _ body: (UnsafeMutablePointer<ct_tensor?>) -> Int32) throws -> ct_tensor {
    var out: ct_tensor?
    try check(op, body(&out))
    guard let out else { throw TorchError(op: op, message: "returned no tensor") }
    return out
  }

  // MARK: Metadata

  public var rank: Int {
    var n: Int64 = 0
    _ = ct_tensor_ndim(handle, &n)
    return Int(n)
  }

  public var shape: [Int] {
    let n = rank
    var sizes = [Int64](repeating: 0, count: n)
    _ = sizes.withUnsafeMutableBufferPointer { ct_tensor_shape(handle, $0.baseAddress) }
    return sizes.map(Int.init)
  }

  /// Size of one dimension; negative indices count from the end.
  public func size(_ dim: Int) -> Int {
    let s = shape
    return s[dim < 0 ? s.count + dim : dim]
  }

  /// Number of elements.
  public var count: Int {
    var n: Int64 = 0
    _ = ct_tensor_numel(handle, &n)
    return Int(n)
  }

  public var dtype: DType {
    var code: Int32 = 0
    _ = ct_tensor_dtype(handle, &code)
    return must { try DType(code: code) }
  }

  public var device: Device {
    var code: Int32 = 0
    _ = ct_tensor_device(handle, &code)
    return Device(code: code)
  }

  // MARK: Creation

  /// A tensor holding `values` with `shape` (default: 1-D). Traps if the counts differ.
  public convenience init<T: TensorElement>(_ values: [T], shape: [Int]? = nil) {
    let shape = shape ?? [values.count]
    precondition(shape.reduce(1, *) == values.count,
                 "Tensor: \(values.count) values do not fill shape \(shape)")
    self.init(handle: must { try values.withUnsafeBytes { try Tensor.bytesHandle($0, shape: shape, dtype: T.dtype) } })
  }

  /// A 0-dimensional tensor.
  public convenience init(_ value: Double, dtype: DType = .float32, device: Device = .cpu) {
    self.init(handle: must {
      try Tensor.makeHandle("full") { ct_tensor_full($0, nil, 0, value, dtype.rawValue, device.code) }
    })
  }

  /// Copies raw little-endian element bytes (row-major) into a new CPU tensor; used by file readers.
  public static func fromBytes(_ bytes: UnsafeRawBufferPointer, shape: [Int], dtype: DType) throws -> Tensor {
    Tensor(handle: try bytesHandle(bytes, shape: shape, dtype: dtype))
  }

  /// A CPU tensor over a file of raw little-endian elements (row-major), memory-mapped rather than
  /// read: pages load on demand and, being backed by the file, the kernel may drop them under memory
  /// pressure instead of running out. For large read-mostly data (training audio).
  public static func mappingFile(_ url: URL, shape: [Int], dtype: DType) throws -> Tensor {
    _ = try checkedCount(shape, op: "map_file")
    let handle = try withInt64s(shape) { dims, n in
      try makeHandle("map_file") { ct_tensor_map_file($0, url.path, dims, n, dtype.rawValue) }
    }
    return Tensor(handle: handle)
  }

  static func bytesHandle(_ bytes: UnsafeRawBufferPointer, shape: [Int], dtype: DType) throws -> ct_tensor {
    let count = try checkedCount(shape, op: "from_bytes")
    guard count * dtype.byteSize == bytes.count else {
      throw TorchError(op: "from_bytes",
                       message: "\(bytes.count) bytes do not hold \(count) \(dtype) elements of shape \(shape)")
    }
    return try withInt64s(shape) { dims, n in
      try makeHandle("from_bytes") { ct_tensor_from_data($0, bytes.baseAddress, dims, n, dtype.rawValue) }
    }
  }

  static func checkedCount(_ shape: [Int], op: String) throws -> Int {
    var count = 1
    for d in shape {
      guard d >= 0 else { throw TorchError(op: op, message: "negative dimension in shape \(shape)") }
      let (product, overflow) = count.multipliedReportingOverflow(by: d)
      guard !overflow else { throw TorchError(op: op, message: "shape \(shape) has too many elements") }
      count = product
    }
    return count
  }

  public static func full(_ shape: [Int], value: Double, dtype: DType = .float32, device: Device = .cpu) -> Tensor {
    must { try tryFull(shape, value: value, dtype: dtype, device: device) }
  }

  public static func tryFull(_ shape: [Int], value: Double, dtype: DType = .float32,
                             device: Device = .cpu) throws -> Tensor {
    try withInt64s(shape) { dims, n in
      try make("full") { ct_tensor_full($0, dims, n, value, dtype.rawValue, device.code) }
    }
  }

  public static func zeros(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) -> Tensor {
    full(shape, value: 0, dtype: dtype, device: device)
  }

  public static func ones(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) -> Tensor {
    full(shape, value: 1, dtype: dtype, device: device)
  }

  /// Values start, start+step, … below end.
  public static func arange(_ start: Double, _ end: Double, step: Double = 1, dtype: DType = .float32,
                            device: Device = .cpu) -> Tensor {
    must { try make("arange") { ct_tensor_arange($0, start, end, step, dtype.rawValue, device.code) } }
  }

  /// `steps` evenly spaced values from start to end inclusive.
  public static func linspace(_ start: Double, _ end: Double, steps: Int, dtype: DType = .float32,
                              device: Device = .cpu) -> Tensor {
    must { try make("linspace") { ct_tensor_linspace($0, start, end, Int64(steps), dtype.rawValue, device.code) } }
  }

  // MARK: Data access

  /// The elements in row-major order, converted to `T` (and copied to the CPU) if needed.
  public func toArray<T: TensorElement>(of type: T.Type = T.self) -> [T] {
    must { try tryToArray(of: type) }
  }

  public func tryToArray<T: TensorElement>(of type: T.Type = T.self) throws -> [T] {
    let source = dtype == T.dtype ? self : try tryTo(dtype: T.dtype)
    let n = source.count
    var values = [T](unsafeUninitializedCapacity: n) { buffer, initialized in
      initialized = 0
      guard n > 0 else { return }
      let status = ct_tensor_copy_to(source.handle, UnsafeMutableRawPointer(buffer.baseAddress!),
                                     n * MemoryLayout<T>.stride)
      if status == 0 { initialized = n }
    }
    if values.count != n {
      values = []
      throw TorchError(op: "copy_to", message: takeLastError())
    }
    return values
  }

  /// The raw element bytes (contiguous, on the CPU), e.g. for writing files.
  public func bytes() throws -> [UInt8] {
    let n = count * dtype.byteSize
    var out = [UInt8](repeating: 0, count: n)
    try out.withUnsafeMutableBytes { buffer in
      try check("copy_to", ct_tensor_copy_to(handle, buffer.baseAddress, n))
    }
    return out
  }

  /// The value of a one-element tensor.
  public func item() -> Double {
    must {
      var value = 0.0
      try check("item", ct_tensor_item_double(handle, &value))
      return value
    }
  }

  public func itemInt() -> Int {
    must {
      var value: Int64 = 0
      try check("item", ct_tensor_item_int64(handle, &value))
      return Int(value)
    }
  }

  // MARK: Copies, moves, autograd identity

  /// Another handle to this tensor: same storage, same autograd node.
  public func shallowClone() -> Tensor { must { try Tensor.make("shallow_clone") { ct_tensor_shallow_clone($0, handle) } } }

  /// A deep copy (differentiable).
  public func clone() -> Tensor { must { try Tensor.make("clone") { ct_tensor_clone($0, handle) } } }

  /// The same data cut from the autograd graph.
  public func detach() -> Tensor { must { try Tensor.make("detach") { ct_tensor_detach($0, handle) } } }

  public func contiguous() -> Tensor { must { try Tensor.make("contiguous") { ct_tensor_contiguous($0, handle) } } }

  public func to(dtype: DType) -> Tensor { must { try tryTo(dtype: dtype) } }
  public func to(device: Device) -> Tensor { must { try tryTo(device: device) } }

  public func tryTo(dtype: DType? = nil, device: Device? = nil) throws -> Tensor {
    try Tensor.make("to") { ct_tensor_to($0, handle, dtype?.rawValue ?? CT_KEEP, device?.code ?? CT_KEEP) }
  }

  public var requiresGrad: Bool {
    get {
      var flag: Int32 = 0
      _ = ct_tensor_requires_grad(handle, &flag)
      return flag != 0
    }
    set { must { try check("set_requires_grad", ct_tensor_set_requires_grad(handle, newValue ? 1 : 0)) } }
  }

  /// Sets `requiresGrad` and returns self, for chaining at creation.
  @discardableResult
  public func requiringGrad(_ flag: Bool = true) -> Tensor {
    requiresGrad = flag
    return self
  }

  /// The gradient accumulated by `backward()`, if any.
  public var grad: Tensor? {
    var out: ct_tensor?
    must { try check("grad", ct_tensor_grad(&out, handle)) }
    return out.map(Tensor.init(handle:))
  }

  /// Drops the accumulated gradient.
  public func zeroGrad() { must { try check("zero_grad", ct_tensor_zero_grad(handle)) } }

  /// Copies `source` into this tensor in place (no autograd), broadcasting if needed.
  public func copy(from source: Tensor) { must { try tryCopy(from: source) } }

  public func tryCopy(from source: Tensor) throws { try check("copy_", ct_tensor_copy_(handle, source.handle)) }

  /// Replaces this tensor's data (dtype and device may change) while keeping its identity, so
  /// optimisers and modules that hold it see the new data (PyTorch's `p.data = x`).
  public func setData(_ source: Tensor) throws { try check("set_data", ct_tensor_set_data(handle, source.handle)) }

  public func fill(_ value: Double) { must { try check("fill_", ct_tensor_fill_(handle, value)) } }
}

extension Tensor: CustomStringConvertible {
  public var description: String {
    var pointer: UnsafeMutablePointer<CChar>?
    guard ct_tensor_description(handle, &pointer) == 0, let pointer else { return "Tensor(<\(takeLastError())>)" }
    defer { ct_string_free(pointer) }
    return String(cString: pointer)
  }
}

/// Passes `values` to C as (int64_t *, count).
@inline(__always)
func withInt64s<R>(_ values: [Int], _ body: (UnsafePointer<Int64>?, Int64) throws -> R) rethrows -> R {
  let converted = values.map(Int64.init)
  return try converted.withUnsafeBufferPointer { try body($0.baseAddress, Int64($0.count)) }
}

/// Passes tensors to C as (const ct_tensor *, count), keeping them alive for the call.
@inline(__always)
func withHandles<R>(_ tensors: [Tensor], _ body: (UnsafePointer<ct_tensor?>?, Int64) throws -> R) rethrows -> R {
  let handles: [ct_tensor?] = tensors.map { $0.handle }
  return try withExtendedLifetime(tensors) {
    try handles.withUnsafeBufferPointer { try body($0.baseAddress, Int64($0.count)) }
  }
}
