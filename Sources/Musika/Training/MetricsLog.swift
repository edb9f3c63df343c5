import Foundation

/// `metrics.jsonl` of a training run: one JSON object per logged step. On resume, lines of steps
/// after the checkpoint are dropped, since those steps will be trained again.
struct MetricsLog {
  let url: URL

  func append(step: Int, fields extra: [(String, String)], metrics: [String: Double]) throws {
    var fields = ["\"step\":\(step)"] + extra.map { "\"\($0.0)\":\($0.1)" }
    for key in metrics.keys.sorted() { fields.append("\"\(key)\":\(metrics[key]!)") }
    let line = Data(("{" + fields.joined(separator: ",") + "}\n").utf8)
    if let handle = try? FileHandle(forWritingTo: url) {
      defer { try? handle.close() }
      try handle.seekToEnd()
      try handle.write(contentsOf: line)
    } else {
      try line.write(to: url)
    }
  }

  func trim(after step: Int) throws {
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { return }
    let kept = text.split(separator: "\n").filter { line in
      guard let range = line.range(of: "\"step\":") else { return false }
      let number = line[range.upperBound...].prefix { $0.isNumber }
      return (Int(number) ?? Int.max) <= step
    }
    try (kept.map { $0 + "\n" }.joined()).write(to: url, atomically: true, encoding: .utf8)
  }
}
