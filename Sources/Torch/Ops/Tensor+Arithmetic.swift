import CTorch

/// Elementwise ops. Binary ops broadcast like PyTorch.
public enum UnaryOp: Int32, Sendable {
  case neg = 0, abs, sqrt, rsqrt, exp, log, log10, log1p, sin, cos
  case tanh, sigmoid, silu, relu, floor, ceil, round, sign, square
  case reciprocal, logicalNot, isNaN, isFinite, angle, real, imag

  var name: String { "\(self)" }
}

public enum BinaryOp: Int32, Sendable {
  case add = 0, sub, mul, div, pow, maximum, minimum, remainder
  case eq, ne, lt, le, gt, ge, logicalAnd, logicalOr, atan2

  var name: String { "\(self)" }
}

extension Tensor {
  public func tryUnary(_ op: UnaryOp) throws -> Tensor {
    try Tensor.make(op.name) { ct_op_unary($0, op.rawValue, handle) }
  }

  public func unary(_ op: UnaryOp) -> Tensor { must { try tryUnary(op) } }

  public func tryBinary(_ op: BinaryOp, _ other: Tensor) throws -> Tensor {
    try Tensor.make(op.name) { ct_op_binary($0, op.rawValue, handle, other.handle) }
  }

  public func tryBinary(_ op: BinaryOp, _ scalar: Double) throws -> Tensor {
    try Tensor.make(op.name) { ct_op_binary_scalar($0, op.rawValue, handle, scalar) }
  }

  public func binary(_ op: BinaryOp, _ other: Tensor) -> Tensor { must { try tryBinary(op, other) } }
  public func binary(_ op: BinaryOp, _ scalar: Double) -> Tensor { must { try tryBinary(op, scalar) } }

  // MARK: Operators

  public static func + (a: Tensor, b: Tensor) -> Tensor { a.binary(.add, b) }
  public static func - (a: Tensor, b: Tensor) -> Tensor { a.binary(.sub, b) }
  public static func * (a: Tensor, b: Tensor) -> Tensor { a.binary(.mul, b) }
  public static func / (a: Tensor, b: Tensor) -> Tensor { a.binary(.div, b) }
  public static func + (a: Tensor, s: Double) -> Tensor { a.binary(.add, s) }
  public static func - (a: Tensor, s: Double) -> Tensor { a.binary(.sub, s) }
  public static func * (a: Tensor, s: Double) -> Tensor { a.binary(.mul, s) }
  public static func / (a: Tensor, s: Double) -> Tensor { a.binary(.div, s) }
  public static func + (s: Double, a: Tensor) -> Tensor { a.binary(.add, s) }
  public static func - (s: Double, a: Tensor) -> Tensor { a.unary(.neg).binary(.add, s) }
  public static func * (s: Double, a: Tensor) -> Tensor { a.binary(.mul, s) }
  public static func / (s: Double, a: Tensor) -> Tensor { a.unary(.reciprocal).binary(.mul, s) }
  public static prefix func - (a: Tensor) -> Tensor { a.unary(.neg) }

  // MARK: Named elementwise ops

  public func pow(_ exponent: Double) -> Tensor { binary(.pow, exponent) }
  public func pow(_ exponent: Tensor) -> Tensor { binary(.pow, exponent) }
  public func maximum(_ other: Tensor) -> Tensor { binary(.maximum, other) }
  public func minimum(_ other: Tensor) -> Tensor { binary(.minimum, other) }
  public func maximum(_ s: Double) -> Tensor { binary(.maximum, s) }
  public func minimum(_ s: Double) -> Tensor { binary(.minimum, s) }
  public func remainder(_ s: Double) -> Tensor { binary(.remainder, s) }
  public func atan2(_ other: Tensor) -> Tensor { binary(.atan2, other) }

  public func eq(_ other: Tensor) -> Tensor { binary(.eq, other) }
  public func ne(_ other: Tensor) -> Tensor { binary(.ne, other) }
  public func lt(_ other: Tensor) -> Tensor { binary(.lt, other) }
  public func le(_ other: Tensor) -> Tensor { binary(.le, other) }
  public func gt(_ other: Tensor) -> Tensor { binary(.gt, other) }
  public func ge(_ other: Tensor) -> Tensor { binary(.ge, other) }
  public func eq(_ s: Double) -> Tensor { binary(.eq, s) }
  public func ne(_ s: Double) -> Tensor { binary(.ne, s) }
  public func lt(_ s: Double) -> Tensor { binary(.lt, s) }
  public func le(_ s: Double) -> Tensor { binary(.le, s) }
  public func gt(_ s: Double) -> Tensor { binary(.gt, s) }
  public func ge(_ s: Double) -> Tensor { binary(.ge, s) }
  public func logicalAnd(_ other: Tensor) -> Tensor { binary(.logicalAnd, other) }
  public func logicalOr(_ other: Tensor) -> Tensor { binary(.logicalOr, other) }

  public func neg() -> Tensor { unary(.neg) }
  public func abs() -> Tensor { unary(.abs) }
  public func sqrt() -> Tensor { unary(.sqrt) }
  public func rsqrt() -> Tensor { unary(.rsqrt) }
  public func exp() -> Tensor { unary(.exp) }
  public func log() -> Tensor { unary(.log) }
  public func log10() -> Tensor { unary(.log10) }
  public func log1p() -> Tensor { unary(.log1p) }
  public func sin() -> Tensor { unary(.sin) }
  public func cos() -> Tensor { unary(.cos) }
  public func tanh() -> Tensor { unary(.tanh) }
  public func sigmoid() -> Tensor { unary(.sigmoid) }
  /// x · sigmoid(x), a.k.a. swish.
  public func silu() -> Tensor { unary(.silu) }
  public func relu() -> Tensor { unary(.relu) }
  public func floor() -> Tensor { unary(.floor) }
  public func ceil() -> Tensor { unary(.ceil) }
  public func round() -> Tensor { unary(.round) }
  public func sign() -> Tensor { unary(.sign) }
  public func square() -> Tensor { unary(.square) }
  public func reciprocal() -> Tensor { unary(.reciprocal) }
  public func logicalNot() -> Tensor { unary(.logicalNot) }
  public func isNaN() -> Tensor { unary(.isNaN) }
  public func isFinite() -> Tensor { unary(.isFinite) }
  /// Phase of a complex tensor.
  public func angle() -> Tensor { unary(.angle) }
  public func real() -> Tensor { unary(.real) }
  public func imag() -> Tensor { unary(.imag) }

  public func leakyRelu(_ slope: Double = 0.01) -> Tensor {
    must { try Tensor.make("leaky_relu") { ct_op_leaky_relu($0, handle, slope) } }
  }

  /// Clamps into [min, max]; either bound may be omitted.
  public func clamp(min: Double? = nil, max: Double? = nil) -> Tensor {
    must {
      try Tensor.make("clamp") {
        ct_op_clamp($0, handle, min ?? 0, max ?? 0, min == nil ? 0 : 1, max == nil ? 0 : 1)
      }
    }
  }

  /// Elementwise `condition ? a : b`.
  public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    must { try tryWhere(condition, a, b) }
  }

  public static func tryWhere(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
    try make("where") { ct_op_where($0, condition.handle, a.handle, b.handle) }
  }

  // MARK: Matrix products

  public func matmul(_ other: Tensor) -> Tensor { must { try tryMatmul(other) } }

  public func tryMatmul(_ other: Tensor) throws -> Tensor {
    try Tensor.make("matmul") { ct_op_matmul($0, handle, other.handle) }
  }
}

// MARK: In place, for inference

extension Tensor {
  /// self = silu(self + strength · noise), in place: one pass instead of three allocations and passes
  /// (a decoder layer's noise injection and swish). Only with grad mode off (`withNoGrad`; otherwise
  /// it throws), and only on a tensor nothing else reads (a layer's fresh output); strength and noise
  /// broadcast to self.
  public func tryAddScaledSiLUInPlace(strength: Tensor, noise: Tensor) throws {
    try check("add_scaled_silu_", ct_op_add_scaled_silu_(handle, strength.handle, noise.handle))
  }

  /// self += other, in place, with grad mode off only (otherwise it throws), on a tensor nothing else
  /// reads.
  public func tryAddInPlace(_ other: Tensor) throws {
    try check("add_", ct_op_add_(handle, other.handle))
  }

  /// `tryAddScaledSiLUInPlace` inside model code, where grad mode on is a bug: it traps.
  public func addScaledSiLUInPlace(strength: Tensor, noise: Tensor) {
    must { try tryAddScaledSiLUInPlace(strength: strength, noise: noise) }
  }

  /// `tryAddInPlace` inside model code, where grad mode on is a bug: it traps.
  public func addInPlace(_ other: Tensor) { must { try tryAddInPlace(other) } }
}
