import Foundation
import Testing

@testable import Torch

/// Element-wise closeness with a tolerance relative to the larger magnitude (and an absolute floor).
func close(_ a: [Double], _ b: [Double], tolerance: Double = 1e-5) -> Bool {
  guard a.count == b.count else { return false }
  return zip(a, b).allSatisfy { x, y in Swift.abs(x - y) <= tolerance * max(1, Swift.abs(x), Swift.abs(y)) }
}

func values(_ t: Tensor) -> [Double] { t.toArray(of: Double.self) }

/// Central finite-difference gradient of the scalar `f` at `x` (float64), one element at a time.
func finiteDifference(_ x: Tensor, epsilon: Double = 1e-6, _ f: (Tensor) -> Double) -> [Double] {
  let base = values(x)
  return base.indices.map { i in
    var plus = base
    var minus = base
    plus[i] += epsilon
    minus[i] -= epsilon
    let fp = f(Tensor(plus, shape: x.shape))
    let fm = f(Tensor(minus, shape: x.shape))
    return (fp - fm) / (2 * epsilon)
  }
}

/// Resident set size of this process in bytes (Linux).
func residentBytes() -> Int {
  guard let handle = FileHandle(forReadingAtPath: "/proc/self/statm"),
        let data = try? handle.readToEnd(), let text = String(data: data, encoding: .utf8) else { return 0 }
  let fields = text.split(separator: " ")
  return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Reference transposed convolution written out as loops: y[b, o, t·s + j − p] += x[b, i, t]·w[i, o, j].
func naiveConvTranspose1d(_ x: [Double], _ xShape: [Int], _ w: [Double], _ wShape: [Int], stride s: Int,
                          padding p: Int, outputPadding op: Int) -> ([Double], [Int]) {
  let (batch, cin, t) = (xShape[0], xShape[1], xShape[2])
  let (cout, k) = (wShape[1], wShape[2])
  let length = (t - 1) * s - 2 * p + k + op
  var y = [Double](repeating: 0, count: batch * cout * length)
  for b in 0..<batch {
    for i in 0..<cin {
      for tt in 0..<t {
        for o in 0..<cout {
          for j in 0..<k {
            let pos = tt * s + j - p
            guard pos >= 0, pos < length else { continue }
            y[(b * cout + o) * length + pos] += x[(b * cin + i) * t + tt] * w[(i * cout + o) * k + j]
          }
        }
      }
    }
  }
  return (y, [batch, cout, length])
}
