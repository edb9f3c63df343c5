import Foundation
import Torch

/// A codec on disk is a folder: `config.json` (a `CodecConfig`) and `codec.safetensors`, whose keys
/// are the module paths (`encoder.layers.0.conv.weight`, `decoder.g0.noise.strength`, …).
extension SpectralCodec {
  public static let configFile = "config.json"
  public static let weightsFile = "codec.safetensors"

  /// Loads a codec folder; every key is checked against the configuration.
  public static func load(from folder: URL) throws -> SpectralCodec {
    let configURL = folder.appendingPathComponent(configFile)
    guard FileManager.default.fileExists(atPath: configURL.path) else {
      throw MusikaError.invalidInput("\(folder.path) is not a codec folder: it has no \(configFile)")
    }
    let config: CodecConfig
    do {
      config = try JSONDecoder().decode(CodecConfig.self, from: Data(contentsOf: configURL))
    } catch {
      throw MusikaError.invalidConfig("\(configURL.path): \(error)")
    }
    let codec = try SpectralCodec(config: config)
    let weights = try Safetensors.read(folder.appendingPathComponent(weightsFile))
    do {
      // Shipped codecs may store bf16/fp16 (half the size); the networks compute in float32.
      try withNoGrad { try codec.load(weights.tensors.mapValues { $0.dtype == .float32 ? $0 : $0.to(dtype: .float32) }) }
    } catch {
      throw MusikaError.invalidInput("\(folder.path)/\(weightsFile) does not fit its config: \(error)")
    }
    codec.eval()
    return codec
  }

  /// Whether `folder` is a codec folder (a config and codec weights, no generator).
  public static func isCodecFolder(_ folder: URL) -> Bool {
    let fm = FileManager.default
    return fm.fileExists(atPath: folder.appendingPathComponent(configFile).path)
      && fm.fileExists(atPath: folder.appendingPathComponent(weightsFile).path)
      && !GANModel.isModelFolder(folder)
  }

  /// Saves the codec folder atomically; weights are stored as `dtype` (bf16 halves the size), and
  /// `card`, if given, as its MODEL_CARD.md.
  public func save(to folder: URL, dtype: DType = .float32, metadata: [String: String] = [:], card: String? = nil) throws {
    try AtomicFolder.write(folder) { staging in
      try writeFiles(into: staging, dtype: dtype, metadata: metadata)
      try card?.write(to: staging.appendingPathComponent(GANModel.cardFile), atomically: false, encoding: .utf8)
    }
  }

  /// Writes `config.json` and `codec.safetensors` into an existing folder (a checkpoint's staging
  /// folder, say); `save` wraps this in an atomic folder write.
  public func writeFiles(into folder: URL, dtype: DType = .float32, metadata: [String: String] = [:]) throws {
    try writeConfig(into: folder)
    try Safetensors.write(stateDict().mapValues { $0.to(dtype: dtype) },
                          metadata: metadata.merging(["musika": MusikaVersion.string]) { a, _ in a },
                          to: folder.appendingPathComponent(Self.weightsFile))
  }

  /// Rewrites only `config.json` in `folder` (atomically: a temporary file renamed over it), as
  /// `musika codec calibrate` does to a codec folder whose weights stay as they are.
  public func writeConfig(into folder: URL) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(config).write(to: folder.appendingPathComponent(Self.configFile), options: .atomic)
  }
}
