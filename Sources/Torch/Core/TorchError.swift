import CTorch

/// An error reported by libtorch (through the C API) or by argument checks in this module.
/// `op` names the operation that failed, so a message reads "conv1d: expected input[1, 3, 8] to have 4 channels…".
public struct TorchError: Error, CustomStringConvertible, Sendable {
  public let op: String
  public let message: String

  public init(op: String, message: String) {
    self.op = op
    self.message = message
  }

  public var description: String { "\(op): \(message)" }
}

/// Reads and clears the C API's thread-local error message.
func takeLastError() -> String {
  guard let pointer = ct_last_error() else { return "unknown error (no message was recorded)" }
  let message = String(cString: pointer)
  ct_clear_error()
  return message
}

/// Turns a C API status into a thrown `TorchError`.
@inline(__always)
func check(_ op: String, _ status: Int32) throws {
  if status != 0 { throw TorchError(op: op, message: takeLastError()) }
}

/// The non-throwing twin of an op: inside validated model code a failure is a bug, so it traps with
/// the op's message. Anything fed by files, users or the network uses the `try…` form instead.
@inline(__always)
func must<T>(_ body: () throws -> T) -> T {
  do {
    return try body()
  } catch {
    fatalError("\(error)")
  }
}
