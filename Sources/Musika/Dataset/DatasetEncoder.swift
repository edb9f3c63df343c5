import Audio
import Foundation
import Torch

/// Encodes a folder of audio into a dataset of latent files (`musika encode`). Walks sub-folders,
/// skips files already encoded (so an interrupted run resumes), reports a bad file and goes on, and
/// keeps `manifest.json` current after every file. Latent files are safetensors with one tensor
/// `latents` of shape (2·vectorChannels, vectors).
public struct DatasetEncoder {
  public static let audioExtensions: Set<String> = ["wav", "flac", "ogg", "oga", "opus", "mp3", "aif", "aiff"]

  public enum Event: Sendable {
    case encoded(source: String, seconds: Double, vectors: Int, notes: [String])
    case skipped(source: String)
    case failed(source: String, reason: String)
  }

  public let codec: SpectralCodec
  /// Recorded in the manifest and each latent file.
  public let codecName: String
  /// The codec's folder, recorded in each latent file so `musika decode` can find it.
  public let codecFolder: URL?

  /// Playback speeds each file is encoded at (turntable-style: tempo and pitch change together), one
  /// latent file per speed. Several speeds turn a few tempi into a continuum for tempo conditioning.
  public let speeds: [Double]

  public init(codec: SpectralCodec, codecName: String, codecFolder: URL? = nil, speeds: [Double] = [1]) throws {
    try Self.validate(speeds: speeds)
    self.codec = codec
    self.codecName = codecName
    self.codecFolder = codecFolder
    self.speeds = speeds
  }

  /// Speeds must be distinct and within 0.5–2 (beyond that, resampling leaves too little music).
  /// The message names the offending value, for `--speeds` to prefix.
  public static func validate(speeds: [Double]) throws {
    guard !speeds.isEmpty else { throw MusikaError.invalidInput("no speed given; 1 is the original") }
    var seen: Set<Double> = []
    for speed in speeds {
      let text = String(format: "%g", speed)
      guard (0.5...2).contains(speed) else {
        throw MusikaError.invalidInput("'\(text)' is not a speed between 0.5 and 2 (1 is the original)")
      }
      guard seen.insert(speed).inserted else { throw MusikaError.invalidInput("'\(text)' is given twice") }
    }
  }

  /// The sample rate to read a file at so that, taken as `rate`, it plays at `speed`.
  public static func readRate(_ rate: Int, speed: Double) -> Int { Int((Double(rate) / speed).rounded()) }

  /// Audio files below `folder`, sorted, as paths relative to it.
  public static func audioFiles(in folder: URL) throws -> [String] {
    try files(in: folder, extensions: audioExtensions, kind: "audio files")
  }

  /// Latent files (.safetensors) below `folder`, sorted, as paths relative to it: `encode` mirrors the
  /// audio's sub-folders, so `decode` of a folder walks them too.
  public static func latentFiles(in folder: URL) throws -> [String] {
    try files(in: folder, extensions: ["safetensors"], kind: "latent files")
  }

  private static func files(in folder: URL, extensions: Set<String>, kind: String) throws -> [String] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw MusikaError.invalidInput("\(folder.path) is not a folder of \(kind)")
    }
    guard let walker = FileManager.default.enumerator(atPath: folder.path) else { return [] }
    var files: [String] = []
    while let relative = walker.nextObject() as? String {
      if extensions.contains((relative as NSString).pathExtension.lowercased()) { files.append(relative) }
    }
    return files.sorted()
  }

  public static func latentName(for source: String, speed: Double = 1) -> String {
    let base = (source as NSString).deletingPathExtension as String
    return base + (speed == 1 ? "" : String(format: "@%.3gx", speed)) + ".safetensors"
  }

  /// How progress and errors name one encoding of a file.
  static func displayName(_ source: String, speed: Double) -> String {
    speed == 1 ? source : source + String(format: " @%.3g×", speed)
  }

  /// Encodes every audio file under `input` into `output`; returns the manifest.
  @discardableResult
  public func encode(from input: URL, to output: URL, progress: (Int, Int, Event) -> Void = { _, _, _ in })
    throws -> DatasetManifest
  {
    let sources = try Self.audioFiles(in: input)
    try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
    var manifest = try DatasetManifest.load(from: output)
      ?? DatasetManifest(codec: codecName, sampleRate: codec.config.sampleRate)
    guard manifest.codec == codecName else {
      throw MusikaError.invalidInput("\(output.path) holds latents of codec '\(manifest.codec)', not '\(codecName)'; "
        + "use another output folder")
    }
    manifest.samplesPerVector = codec.samplesPerVector
    manifest.audioFolder = input.standardizedFileURL.path
    struct Key: Hashable { var source: String; var speed: Double }
    let done = Set(manifest.entries.map { Key(source: $0.source, speed: $0.playbackSpeed) })
    let jobs = sources.flatMap { source in speeds.map { Key(source: source, speed: $0) } }
    for (index, job) in jobs.enumerated() {
      let (source, speed) = (job.source, job.speed)
      let name = Self.displayName(source, speed: speed)
      let latentName = Self.latentName(for: source, speed: speed)
      let latentURL = output.appendingPathComponent(latentName)
      if done.contains(job) && FileManager.default.fileExists(atPath: latentURL.path) {
        progress(index + 1, jobs.count, .skipped(source: name))
        continue
      }
      manifest.failures.removeAll { $0.source == name }
      do {
        let sourceURL = input.appendingPathComponent(source)
        let info = try AudioFile.info(sourceURL)
        let rate = codec.config.sampleRate
        let audio = try AudioFile.read(sourceURL, sampleRate: Self.readRate(rate, speed: speed))
        let seconds = Double(audio.samples.size(1)) / Double(rate)
        let latents = try withNoGrad { try codec.encode(audio.samples) }
        try FileManager.default.createDirectory(at: latentURL.deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        var metadata = [
          "codec": codecName, "source": source, "sample_rate": String(rate),
          "musika": MusikaVersion.string,
        ]
        metadata["codec_folder"] = codecFolder?.standardizedFileURL.path
        if speed != 1 { metadata["speed"] = String(speed) }
        try Safetensors.write(["latents": latents], metadata: metadata, to: latentURL)
        manifest.entries.removeAll { Key(source: $0.source, speed: $0.playbackSpeed) == job }
        manifest.entries.append(.init(source: source, latents: latentName, duration: seconds,
                                      sourceSampleRate: info.sampleRate, sourceChannels: info.channels,
                                      vectors: latents.size(1), labels: [:], speed: speed == 1 ? nil : speed))
        progress(index + 1, jobs.count,
                 .encoded(source: name, seconds: seconds, vectors: latents.size(1), notes: audio.notes))
      } catch {
        manifest.failures.append(.init(source: name, reason: "\(error)"))
        progress(index + 1, jobs.count, .failed(source: name, reason: "\(error)"))
      }
      manifest.entries.sort { ($0.source, $0.playbackSpeed) < ($1.source, $1.playbackSpeed) }
      try manifest.save(to: output)
    }
    try manifest.save(to: output)
    return manifest
  }

  /// Reads a latent file written by `encode`.
  public static func readLatents(_ url: URL) throws -> (latents: Tensor, metadata: [String: String]) {
    let file = try Safetensors.read(url)
    guard let latents = file.tensors["latents"], latents.rank == 2 else {
      throw MusikaError.invalidInput("\(url.path) has no 2-D 'latents' tensor; is it a file written by musika encode?")
    }
    return (latents.to(dtype: .float32), file.metadata)
  }
}
