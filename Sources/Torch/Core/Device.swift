import CTorch

/// Where a tensor lives. Code above CTorch never assumes the CPU: models take a `Device`.
public enum Device: Equatable, Hashable, Sendable, CustomStringConvertible {
  case cpu
  case cuda(Int)

  /// CUDA device 0 when the linked libtorch has CUDA and a device is present, else the CPU.
  public static var best: Device { TorchRuntime.isCUDAAvailable ? .cuda(0) : .cpu }

  /// Parses "cpu", "cuda", "cuda:1" or "auto" (= `best`).
  public init(parsing text: String) throws {
    let lower = text.lowercased()
    switch lower {
    case "cpu": self = .cpu
    case "auto": self = .best
    case "cuda", "gpu": self = .cuda(0)
    default:
      if lower.hasPrefix("cuda:"), let index = Int(lower.dropFirst(5)), index >= 0 {
        self = .cuda(index)
      } else {
        throw TorchError(op: "device", message: "unknown device '\(text)': use cpu, cuda, cuda:N or auto")
      }
    }
  }

  var code: Int32 {
    switch self {
    case .cpu: CT_DEVICE_CPU
    case .cuda(let index): Int32(index)
    }
  }

  init(code: Int32) {
    self = code < 0 ? .cpu : .cuda(Int(code))
  }

  public var description: String {
    switch self {
    case .cpu: "cpu"
    case .cuda(let index): "cuda:\(index)"
    }
  }
}
