import Audio
import Foundation
import Testing
import Torch

@testable import Musika

@Suite("Audio corpus")
struct AudioCorpusTests {
  /// Two files: a 1 s tone at 0.1 and a 9 s tone at 0.5, so an excerpt's level tells its file.
  static func makeFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("musika-corpus-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for (name, seconds, level) in [("short.wav", 1.0, 0.1), ("long.wav", 9.0, 0.5)] {
      let n = Int(seconds * 8000)
      let t = Tensor.arange(0, Double(n), dtype: .float64) / 8000
      let tone = (t * (2 * Double.pi * 440)).sin().sign() * level  // a square wave: every sample at ±level
      try AudioFile.write(Tensor.stack([tone, tone], dim: 0).to(dtype: .float32), sampleRate: 8000,
                          to: folder.appendingPathComponent(name))
    }
    return folder
  }

  /// The second load reads the cache, and gives the same samples as decoding the files.
  @Test func cachesResampledAudio() throws {
    let folder = try Self.makeFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let cache = folder.appendingPathComponent("cache")
    let first = try AudioCorpus(folder: folder, sampleRate: 16_000, minimumSamples: 100, cache: cache)
    let cached = try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasSuffix(".f16") }
    #expect(cached.count == 2)
    let second = try AudioCorpus(folder: folder, sampleRate: 16_000, minimumSamples: 100, cache: cache)
    let uncached = try AudioCorpus(folder: folder, sampleRate: 16_000, minimumSamples: 100, cache: nil)
    for ((a, b), c) in zip(zip(first.items, second.items), uncached.items) {
      #expect(identical(a.samples, b.samples) && identical(a.samples, c.samples), "\(a.source)")
      #expect(a.samples.dtype == .float16)
    }
    // Another rate is another cache entry, not a wrong hit.
    _ = try AudioCorpus(folder: folder, sampleRate: 8_000, minimumSamples: 100, cache: cache)
    #expect(try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasSuffix(".f16") }.count == 4)
  }

  /// Loading on several workers gives the corpus one worker gives: the same items in the files'
  /// order, the same samples, the same failures (a file that is not audio, one too short).
  @Test func parallelLoadingKeepsTheFilesOrder() throws {
    let folder = try Self.makeFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    for i in 0..<5 {
      let tone = Tensor.randn([2, 4000 + 500 * i], generator: Generator(seed: UInt64(i))) * 0.1
      try AudioFile.write(tone, sampleRate: 8000, to: folder.appendingPathComponent("extra-\(i).wav"))
    }
    try AudioFile.write(Tensor.zeros([2, 50]), sampleRate: 8000, to: folder.appendingPathComponent("tiny.wav"))
    try Data("not audio".utf8).write(to: folder.appendingPathComponent("broken.wav"))
    let one = try AudioCorpus(folder: folder, sampleRate: 16_000, minimumSamples: 200, cache: nil, workers: 1)
    let three = try AudioCorpus(folder: folder, sampleRate: 16_000, minimumSamples: 200, cache: nil, workers: 3)
    #expect(one.items.map(\.source) == three.items.map(\.source))
    #expect(one.items.count == 7)
    for (a, b) in zip(one.items, three.items) { #expect(identical(a.samples, b.samples), "\(a.source)") }
    #expect(one.failures.map(\.source) == three.failures.map(\.source))
    #expect(Set(one.failures.map(\.source)) == ["tiny.wav", "broken.wav"])
  }

  /// Excerpts are drawn in proportion to each file's length: the 9 s file gives about 90 % of them.
  @Test func drawsExcerptsByDuration() throws {
    let folder = try Self.makeFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let corpus = try AudioCorpus(folder: folder, sampleRate: 8000, minimumSamples: 100, cache: nil)
    let excerpts = corpus.excerpts(count: 2000, length: 400, generator: Generator(seed: 3))  // (2000, 400)
    #expect(excerpts.dtype == .float32)
    let levels = excerpts.abs().amax(dims: [1]).toArray(of: Float.self)
    let fromLong = levels.filter { $0 > 0.3 }.count
    // Files of 8000 and 72000 samples: 90 % of the corpus is the long one.
    #expect((1700...1900).contains(fromLong), "\(fromLong) of 2000 excerpts from the 9 s file")
  }
}
