import Audio
import Foundation
import Torch

/// Training audio held in memory at the codec's rate, from which random excerpts are cut.
///
/// Samples are kept in float16 (half the memory of float32; its 11-bit mantissa leaves quantisation
/// noise about 66 dB under the signal at every level). Decoding and resampling a large corpus takes
/// minutes, so each file's resampled samples are cached on disk (`AudioCorpus.defaultCacheFolder`),
/// keyed by path, size, modification time and rate, and memory-mapped from there: the next run, or the
/// resume of this one, starts in seconds, and a corpus larger than memory (20 hours of stereo 44.1 kHz
/// audio are 12.7 GB) trains with the kernel paging excerpts in and out.
public final class AudioCorpus {
  public struct Item {
    public let source: String
    /// (2, samples), float16.
    public let samples: Tensor
  }

  public let items: [Item]
  public let sampleRate: Int
  public let failures: [(source: String, reason: String)]
  /// Running sums of item lengths: an excerpt's file is drawn in proportion to its length, so every
  /// second of audio is equally likely, however the corpus is cut into files.
  private let cumulativeSamples: [Int]

  /// Where resampled audio is cached: `$MUSIKA_CACHE/audio`, else `~/.cache/musika/audio`.
  public static var defaultCacheFolder: URL {
    if let root = ProcessInfo.processInfo.environment["MUSIKA_CACHE"], !root.isEmpty {
      return URL(fileURLWithPath: root).appendingPathComponent("audio")
    }
    return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/musika/audio")
  }

  /// Loads every audio file under `folders` that holds at least `minimumSamples` samples. With more than
  /// one folder, sources are named `FOLDER/relative/path`. Files not yet cached are decoded and
  /// resampled `workers` at a time (one per core by default: a first load of 33 hours of music took
  /// ~10 minutes on one core of two); the items keep the files' order whatever finishes first.
  public init(folders: [URL], sampleRate: Int, minimumSamples: Int, cache: URL? = AudioCorpus.defaultCacheFolder,
              workers: Int = ProcessInfo.processInfo.activeProcessorCount, log: @escaping (String) -> Void = { _ in }) throws {
    var jobs: [(url: URL, source: String)] = []
    for folder in folders {
      for relative in try DatasetEncoder.audioFiles(in: folder) {
        let source = folders.count > 1 ? folder.lastPathComponent + "/" + relative : relative
        jobs.append((folder.appendingPathComponent(relative), source))
      }
    }
    let loads = ParallelLoads(count: jobs.count, log: log)
    let urls = jobs.map(\.url)
    DispatchQueue.concurrentPerform(iterations: max(1, min(workers, jobs.count))) { _ in
      while let index = loads.claim() {
        loads.finish(index, Result { try Self.load(urls[index], sampleRate: sampleRate, cache: cache) })
      }
    }
    var items: [Item] = []
    var failures: [(String, String)] = []
    for (job, result) in zip(jobs, loads.results) {
      switch result {
      case .success(let samples):
        guard samples.size(1) >= minimumSamples else {
          failures.append((job.source, "\(samples.size(1)) samples, shorter than one training excerpt (\(minimumSamples))"))
          continue
        }
        items.append(Item(source: job.source, samples: samples))
      case .failure(let error):
        failures.append((job.source, "\(error)"))
      case nil:
        preconditionFailure("AudioCorpus: file \(job.source) was never loaded")
      }
    }
    for (source, reason) in failures { log("skipping \(source): \(reason)") }
    guard !items.isEmpty else {
      throw MusikaError.invalidInput("\(folders.map(\.path).joined(separator: ", ")) holds no usable audio "
        + "(at least \(minimumSamples) samples per file)")
    }
    self.items = items
    self.sampleRate = sampleRate
    self.failures = failures
    var sum = 0
    cumulativeSamples = items.map { sum += $0.samples.size(1); return sum }
  }

  public convenience init(folder: URL, sampleRate: Int, minimumSamples: Int, cache: URL? = AudioCorpus.defaultCacheFolder,
                          workers: Int = ProcessInfo.processInfo.activeProcessorCount,
                          log: @escaping (String) -> Void = { _ in }) throws {
    try self.init(folders: [folder], sampleRate: sampleRate, minimumSamples: minimumSamples, cache: cache,
                  workers: workers, log: log)
  }

  public var totalSeconds: Double { Double(cumulativeSamples.last ?? 0) / Double(sampleRate) }

  /// `count` mono excerpts of `length` samples (random position in the corpus, random channel),
  /// (count, length) float32. Excerpts never cross a file boundary.
  public func excerpts(count: Int, length: Int, generator: Generator) -> Tensor {
    let choices = Tensor.uniform([count, 3], generator: generator, dtype: .float64).toArray(of: Double.self)
    let total = cumulativeSamples.last!
    let rows = (0..<count).map { i -> Tensor in
      let position = min(Int(choices[3 * i] * Double(total)), total - 1)
      let index = Self.firstIndex(in: cumulativeSamples, above: position)
      let item = items[index]
      let channel = choices[3 * i + 1] < 0.5 ? 0 : 1
      let room = item.samples.size(1) - length
      let start = min(Int(choices[3 * i + 2] * Double(room + 1)), room)
      return item.samples.select(dim: 0, index: channel).narrow(dim: 0, start: start, length: length)
    }
    return Tensor.stack(rows, dim: 0).to(dtype: .float32)
  }

  /// The first index whose running sum exceeds `position` (binary search).
  private static func firstIndex(in sums: [Int], above position: Int) -> Int {
    var (lo, hi) = (0, sums.count - 1)
    while lo < hi {
      let mid = (lo + hi) / 2
      if sums[mid] > position { hi = mid } else { lo = mid + 1 }
    }
    return lo
  }

  // MARK: The resampled-audio cache

  /// (2, samples) float16 at `sampleRate`, from `cacheFolder` when it holds this version of the file.
  static func load(_ url: URL, sampleRate: Int, cache cacheFolder: URL?) throws -> Tensor {
    guard let cacheFolder, let key = cacheKey(url, sampleRate: sampleRate) else {
      return try AudioFile.read(url, sampleRate: sampleRate).samples.to(dtype: .float16)
    }
    let cached = cacheFolder.appendingPathComponent(key + ".f16")
    if let size = (try? FileManager.default.attributesOfItem(atPath: cached.path))?[.size] as? NSNumber,
       size.intValue > 0, size.intValue % 4 == 0 {
      // Mapped, not read: 20 hours of stereo 44.1 kHz audio are 12.7 GB, which the kernel pages in as
      // excerpts touch them and may drop again, so a corpus larger than memory still trains.
      return try Tensor.mappingFile(cached, shape: [2, size.intValue / 4], dtype: .float16)
    }
    let samples = try AudioFile.read(url, sampleRate: sampleRate).samples.to(dtype: .float16).contiguous()
    // A cache that cannot be written (read-only home, full disk) only costs time: training goes on.
    try? FileManager.default.createDirectory(at: cacheFolder, withIntermediateDirectories: true)
    let partial = cached.appendingPathExtension("partial-\(ProcessInfo.processInfo.processIdentifier)")
    if (try? Data(samples.bytes()).write(to: partial)) != nil {
      if rename(partial.path, cached.path) == 0 {
        // From now on this file, too, is paged rather than held.
        if let mapped = try? Tensor.mappingFile(cached, shape: samples.shape, dtype: .float16) { return mapped }
      } else {
        try? FileManager.default.removeItem(at: partial)
      }
    }
    return samples
  }

  /// FNV-1a of the file's absolute path, size, modification time and the rate.
  private static func cacheKey(_ url: URL, sampleRate: Int) -> String? {
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
          let size = attributes[.size] as? NSNumber,
          let modified = attributes[.modificationDate] as? Date else { return nil }
    let text = "\(url.standardizedFileURL.path)|\(size)|\(modified.timeIntervalSince1970)|\(sampleRate)|v1"
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return String(format: "%016llx", hash) + "-" + url.deletingPathExtension().lastPathComponent.prefix(40)
      .map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
  }
}

/// The shared state of a parallel load: the next file to claim, each file's result in file order,
/// and progress lines at most every 10 s (workers report through the lock, so `log` runs on one
/// thread at a time).
private final class ParallelLoads: @unchecked Sendable {
  private let lock = NSLock()
  private var next = 0
  private var done = 0
  private(set) var results: [Result<Tensor, any Error>?]
  private let log: (String) -> Void
  private let clock = ContinuousClock()
  private var lastReport: ContinuousClock.Instant

  init(count: Int, log: @escaping (String) -> Void) {
    results = Array(repeating: nil, count: count)
    self.log = log
    lastReport = clock.now
  }

  func claim() -> Int? {
    lock.withLock {
      guard next < results.count else { return nil }
      defer { next += 1 }
      return next
    }
  }

  func finish(_ index: Int, _ result: Result<Tensor, any Error>) {
    lock.withLock {
      results[index] = result
      done += 1
      if (clock.now - lastReport).seconds > 10 {
        log("loaded \(done) of \(results.count) files")
        lastReport = clock.now
      }
    }
  }
}
