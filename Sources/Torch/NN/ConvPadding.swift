/// Padding of a convolution along time.
public enum ConvPadding: Sendable, Equatable {
  /// No padding.
  case valid
  /// Keras/TensorFlow 'same': output length ⌈T/stride⌉, with any odd padding on the right. For k3 s2
  /// on an even length that is (0, 1); for k4 s1 it is (1, 2) — asymmetric, unlike PyTorch's.
  case same
  /// Explicit zeros on each side.
  case explicit(left: Int, right: Int)

  public static func symmetric(_ n: Int) -> ConvPadding { .explicit(left: n, right: n) }

  /// (left, right) zeros for an input of `length` frames.
  public func amounts(length: Int, kernel: Int, stride: Int, dilation: Int) -> (left: Int, right: Int) {
    switch self {
    case .valid:
      return (0, 0)
    case .explicit(let left, let right):
      return (left, right)
    case .same:
      let out = (length + stride - 1) / stride
      let span = (kernel - 1) * dilation + 1
      let total = max((out - 1) * stride + span - length, 0)
      return (total / 2, total - total / 2)
    }
  }
}
