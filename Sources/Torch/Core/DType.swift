import CTorch

/// Element type of a tensor.
public enum DType: Int32, CaseIterable, Sendable, CustomStringConvertible {
  case float32 = 0
  case float64 = 1
  case float16 = 2
  case bfloat16 = 3
  case int64 = 4
  case int32 = 5
  case uint8 = 6
  case bool = 7
  case complex64 = 8
  case complex128 = 9

  /// Bytes per element.
  public var byteSize: Int {
    switch self {
    case .complex128: 16
    case .float64, .int64, .complex64: 8
    case .float32, .int32: 4
    case .float16, .bfloat16: 2
    case .uint8, .bool: 1
    }
  }

  public var isFloatingPoint: Bool { self == .float32 || self == .float64 || self == .float16 || self == .bfloat16 }

  public var description: String {
    switch self {
    case .float32: "float32"
    case .float64: "float64"
    case .float16: "float16"
    case .bfloat16: "bfloat16"
    case .int64: "int64"
    case .int32: "int32"
    case .uint8: "uint8"
    case .bool: "bool"
    case .complex64: "complex64"
    case .complex128: "complex128"
    }
  }

  init(code: Int32) throws {
    guard let value = DType(rawValue: code) else {
      throw TorchError(op: "dtype", message: "unknown dtype code \(code)")
    }
    self = value
  }
}

/// Swift element types that map one-to-one onto a tensor dtype.
public protocol TensorElement: Sendable {
  static var dtype: DType { get }
}

extension Float: TensorElement { public static var dtype: DType { .float32 } }
extension Double: TensorElement { public static var dtype: DType { .float64 } }
extension Int64: TensorElement { public static var dtype: DType { .int64 } }
extension Int: TensorElement { public static var dtype: DType { .int64 } }
extension Int32: TensorElement { public static var dtype: DType { .int32 } }
extension UInt8: TensorElement { public static var dtype: DType { .uint8 } }
extension Bool: TensorElement { public static var dtype: DType { .bool } }
#if !(os(macOS) && arch(x86_64))
extension Float16: TensorElement { public static var dtype: DType { .float16 } }
#endif
