import Foundation

/// `manifest.json` of an encoded dataset: one entry per source file, with provenance and (later)
/// labels, plus the files that could not be encoded and why.
public struct DatasetManifest: Codable, Sendable {
  public struct Entry: Codable, Sendable, Equatable {
    /// Source path relative to the input folder.
    public var source: String
    /// Latent file relative to the dataset folder.
    public var latents: String
    public var duration: Double
    public var sourceSampleRate: Int
    public var sourceChannels: Int
    public var vectors: Int
    /// Filled by `musika label`: one value per file (tempo in BPM…).
    public var labels: [String: Double]
    /// Filled by `musika label`: one value per latent vector (note density in onsets per second…).
    public var labelSeries: [String: [Double]]? = nil
    /// Playback speed the source was encoded at (`musika encode --speeds`): 1.1 plays it 10 % faster
    /// and higher, as a turntable would; nil is 1. Labels are measured on the audio at this speed.
    public var speed: Double? = nil

    /// Speed 1 when none was recorded.
    public var playbackSpeed: Double { speed ?? 1 }
    /// How progress and errors name this encoding: the source, with its speed when not 1.
    public var displayName: String { DatasetEncoder.displayName(source, speed: playbackSpeed) }
  }

  public struct Failure: Codable, Sendable, Equatable {
    public var source: String
    public var reason: String
  }

  public static let fileName = "manifest.json"
  public static let currentFormatVersion = 1

  public var formatVersion = currentFormatVersion
  public var codec: String
  public var sampleRate: Int
  /// Audio samples per latent vector (at `sampleRate`): vector k covers samples k·n ..< (k + 1)·n.
  public var samplesPerVector: Int? = nil
  /// The folder that was encoded (sources are relative to it), for `musika label`.
  public var audioFolder: String? = nil
  public var entries: [Entry] = []
  public var failures: [Failure] = []

  public init(codec: String, sampleRate: Int) {
    self.codec = codec
    self.sampleRate = sampleRate
  }

  public static func load(from folder: URL) throws -> DatasetManifest? {
    let url = folder.appendingPathComponent(fileName)
    guard FileManager.default.fileExists(atPath: url.path) else { return nil }
    do {
      return try JSONDecoder().decode(DatasetManifest.self, from: Data(contentsOf: url))
    } catch {
      throw MusikaError.invalidInput("\(url.path) is not a valid dataset manifest (\(error)); delete it to re-encode")
    }
  }

  /// Written atomically, so an interrupted encode leaves a valid manifest.
  public func save(to folder: URL) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(self).write(to: folder.appendingPathComponent(Self.fileName), options: .atomic)
  }
}
