import Foundation
import Torch

/// Whether two tensors have the same shape, dtype and bits. Tests compare audio with this Bool rather
/// than `#expect(arrayA == arrayB)`: on a mismatch Swift Testing diffs the two collections, which for
/// millions of samples runs for hours instead of failing.
func identical(_ a: Tensor, _ b: Tensor) -> Bool {
  guard a.shape == b.shape, a.dtype == b.dtype else { return false }
  // Two failed reads are not two equal tensors.
  guard let x = try? a.contiguous().bytes(), let y = try? b.contiguous().bytes() else { return false }
  return x == y
}

/// What a failed `identical` check reports: shapes, or the largest difference and where it first occurs.
func difference(_ a: Tensor, _ b: Tensor) -> String {
  guard a.shape == b.shape else { return "shapes differ: \(a.shape) vs \(b.shape)" }
  let x = a.contiguous().toArray(of: Double.self)
  let y = b.contiguous().toArray(of: Double.self)
  guard let first = x.indices.first(where: { x[$0] != y[$0] && !(x[$0].isNaN && y[$0].isNaN) }) else {
    return "no difference in value (dtype \(a.dtype) vs \(b.dtype))"
  }
  let largest = zip(x, y).map { Swift.abs($0 - $1) }.max() ?? 0
  return "first difference at flat index \(first) of \(x.count) (\(x[first]) vs \(y[first])), largest \(largest)"
}
