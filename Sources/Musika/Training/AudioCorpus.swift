import Audio
import Foundation
import Torch

/// Training audio held in memory at the codec's rate, from which random excerpts are cut.
public final class AudioCorpus {
  public struct Item {
    public let source: String
    /// (2, samples), float32.
    public let samples: Tensor
  }

  public let items: [Item]
  public let sampleRate: Int
  public let failures: [(source: String, reason: String)]

  /// Loads every audio file under `folder` that holds at least `minimumSamples` samples.
  public init(folder: URL, sampleRate: Int, minimumSamples: Int, log: (String) -> Void = { _ in }) throws {
    var items: [Item] = []
    var failures: [(String, String)] = []
    for source in try DatasetEncoder.audioFiles(in: folder) {
      do {
        let audio = try AudioFile.read(folder.appendingPathComponent(source), sampleRate: sampleRate)
        guard audio.frames >= minimumSamples else {
          failures.append((source, "\(audio.frames) samples, shorter than one training excerpt (\(minimumSamples))"))
          continue
        }
        items.append(Item(source: source, samples: audio.samples))
      } catch {
        failures.append((source, "\(error)"))
      }
    }
    for (source, reason) in failures { log("skipping \(source): \(reason)") }
    guard !items.isEmpty else {
      throw MusikaError.invalidInput("\(folder.path) holds no usable audio (at least \(minimumSamples) samples per file)")
    }
    self.items = items
    self.sampleRate = sampleRate
    self.failures = failures
  }

  public var totalSeconds: Double { Double(items.reduce(0) { $0 + $1.samples.size(1) }) / Double(sampleRate) }

  /// `count` mono excerpts of `length` samples (random file, channel and offset), (count, length).
  public func excerpts(count: Int, length: Int, generator: Generator) -> Tensor {
    let choices = Tensor.uniform([count, 3], generator: generator, dtype: .float64).toArray(of: Double.self)
    let rows = (0..<count).map { i -> Tensor in
      let item = items[min(Int(choices[3 * i] * Double(items.count)), items.count - 1)]
      let channel = choices[3 * i + 1] < 0.5 ? 0 : 1
      let room = item.samples.size(1) - length
      let start = min(Int(choices[3 * i + 2] * Double(room + 1)), room)
      return item.samples.select(dim: 0, index: channel).narrow(dim: 0, start: start, length: length)
    }
    return Tensor.stack(rows, dim: 0)
  }
}
