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

  public init(codec: SpectralCodec, codecName: String, codecFolder: URL? = nil) {
    self.codec = codec
    self.codecName = codecName
    self.codecFolder = codecFolder
  }

  /// Audio files below `folder`, sorted, as paths relative to it.
  public static func audioFiles(in folder: URL) throws -> [String] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw MusikaError.invalidInput("\(folder.path) is not a folder of audio files")
    }
    guard let walker = FileManager.default.enumerator(atPath: folder.path) else { return [] }
    var files: [String] = []
    while let relative = walker.nextObject() as? String {
      if audioExtensions.contains((relative as NSString).pathExtension.lowercased()) { files.append(relative) }
    }
    return files.sorted()
  }

  public static func latentName(for source: String) -> String {
    ((source as NSString).deletingPathExtension as String) + ".safetensors"
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
    let done = Set(manifest.entries.map(\.source))
    for (index, source) in sources.enumerated() {
      let latentName = Self.latentName(for: source)
      let latentURL = output.appendingPathComponent(latentName)
      if done.contains(source) && FileManager.default.fileExists(atPath: latentURL.path) {
        progress(index + 1, sources.count, .skipped(source: source))
        continue
      }
      manifest.failures.removeAll { $0.source == source }
      do {
        let sourceURL = input.appendingPathComponent(source)
        let info = try AudioFile.info(sourceURL)
        let audio = try AudioFile.read(sourceURL, sampleRate: codec.config.sampleRate)
        let latents = try withNoGrad { try codec.encode(audio.samples) }
        try FileManager.default.createDirectory(at: latentURL.deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        var metadata = [
          "codec": codecName, "source": source, "sample_rate": String(codec.config.sampleRate),
          "musika": MusikaVersion.string,
        ]
        metadata["codec_folder"] = codecFolder?.standardizedFileURL.path
        try Safetensors.write(["latents": latents], metadata: metadata, to: latentURL)
        manifest.entries.removeAll { $0.source == source }
        manifest.entries.append(.init(source: source, latents: latentName, duration: audio.duration,
                                      sourceSampleRate: info.sampleRate, sourceChannels: info.channels,
                                      vectors: latents.size(1), labels: [:]))
        progress(index + 1, sources.count,
                 .encoded(source: source, seconds: audio.duration, vectors: latents.size(1), notes: audio.notes))
      } catch {
        manifest.failures.append(.init(source: source, reason: "\(error)"))
        progress(index + 1, sources.count, .failed(source: source, reason: "\(error)"))
      }
      manifest.entries.sort { $0.source < $1.source }
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
