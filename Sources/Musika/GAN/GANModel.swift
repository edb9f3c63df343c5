import Foundation
import Torch

/// What `config.json` of a GAN model folder holds: the generator's architecture, its conditioning,
/// and where the codec that turns its latents into audio lives.
public struct GANModelConfig: Codable, Sendable, Equatable {
  public static let currentFormatVersion = 1

  public var formatVersion = currentFormatVersion
  public var name: String
  public var gan: GANConfig
  public var conditioning: Conditioning
  /// The codec folder, relative to the model folder.
  public var codecFolder: String
  /// Training steps behind the weights (0: untrained).
  public var trainedSteps: Int
  /// Truncation used when none is asked for.
  public var defaultTruncation: Double
  /// Bound of the style (global) vector's draws in playback where it is tighter than the truncation
  /// asked for (absent: that truncation bounds every draw). A piano model's style decides much of a
  /// piece's note density whatever density is asked, so drawing the style nearer the mean makes the
  /// density control steadier; it costs less variety than truncating every draw (the model card
  /// measures both). Training never truncates.
  public var styleTruncation: Double?
  /// Gain applied to the decoded audio, in dB (absent: 0). It brings a model whose training audio
  /// was quiet, or whose codec loses level on it, to a listening level; `musika export --gain-db`
  /// sets it, and the model card says how it was measured.
  public var outputGainDecibels: Double?
  /// Where the weights came from when they were not trained by musika (absent: trained here), e.g.
  /// "the original Musika's gen_ema.h5, imported with musika import"; `trainedSteps` is then 0.
  public var origin: String?

  /// The linear factor of `outputGainDecibels`.
  public var outputGain: Double { pow(10, (outputGainDecibels ?? 0) / 20) }

  public init(name: String, gan: GANConfig, conditioning: Conditioning = .none, codecFolder: String = "codec",
              trainedSteps: Int = 0, defaultTruncation: Double = 2.0) {
    self.name = name
    self.gan = gan
    self.conditioning = conditioning
    self.codecFolder = codecFolder
    self.trainedSteps = trainedSteps
    self.defaultTruncation = defaultTruncation
  }

  public func validate() throws {
    guard formatVersion <= Self.currentFormatVersion else {
      throw MusikaError.invalidConfig("model '\(name)': format version \(formatVersion) is newer than this release "
        + "understands; update musika")
    }
    try gan.validate()
    guard defaultTruncation > 0, defaultTruncation <= 10 else {
      throw MusikaError.invalidConfig("model '\(name)': defaultTruncation \(defaultTruncation) is outside (0, 10]; 2 is the original's default")
    }
    if let bound = styleTruncation, !(bound > 0 && bound <= 10) {
      throw MusikaError.invalidConfig("model '\(name)': styleTruncation \(bound) is outside (0, 10]; remove it to draw the style as every other vector")
    }
    if let gain = outputGainDecibels, !gain.isFinite || abs(gain) > 60 {
      throw MusikaError.invalidConfig("model '\(name)': outputGainDecibels \(gain) is outside -60…60 dB")
    }
    guard gan.conditionChannels == conditioning.channelCount else {
      throw MusikaError.invalidConfig("model '\(name)': the GAN has \(gan.conditionChannels) condition channels "
        + "but the conditioning describes \(conditioning.channelCount)")
    }
    guard gan.clockChannelCount == 0 || conditioning.tempo != nil else {
      throw MusikaError.invalidConfig("model '\(name)': the generator reads a beat clock but is not conditioned on tempo")
    }
  }
}

/// A generator and the codec that decodes its latents: everything `musika generate` needs.
///
/// On disk a folder: `config.json` (a `GANModelConfig`), `generator.safetensors` (the EMA weights),
/// the codec folder (`codec/`), and optionally `MODEL_CARD.md`.
public final class GANModel: @unchecked Sendable {
  public static let configFile = "config.json"
  public static let generatorFile = "generator.safetensors"
  public static let cardFile = "MODEL_CARD.md"

  public let config: GANModelConfig
  public let generator: LatentGenerator
  public let codec: SpectralCodec
  /// Where it was loaded from (nil for a model built in memory).
  public let folder: URL?

  public init(config: GANModelConfig, generator: LatentGenerator, codec: SpectralCodec, folder: URL? = nil) throws {
    try config.validate()
    guard config.gan.latentChannels == 2 * codec.config.vectorChannels else {
      throw MusikaError.invalidConfig("model '\(config.name)': the generator makes \(config.gan.latentChannels) "
        + "latent channels but codec '\(codec.config.name)' decodes \(2 * codec.config.vectorChannels)")
    }
    self.config = config
    self.generator = generator
    self.codec = codec
    self.folder = folder
    generator.eval()
    codec.eval()
  }

  /// A model with freshly initialised weights (for benchmarks and tests: it makes noise, not music).
  public static func untrained(gan: GANConfig, codec codecConfig: CodecConfig, conditioning: Conditioning = .none,
                               seed: UInt64 = 0) throws -> GANModel {
    var gan = gan
    gan.conditionChannels = conditioning.channelCount
    let generator = LatentGenerator(gan)
    generator.initialize(seed: Seed.derive(seed, ["generator"]))
    let codec = try SpectralCodec(config: codecConfig)
    codec.initialize(seed: Seed.derive(seed, ["codec"]))
    return try GANModel(config: GANModelConfig(name: "\(gan.name) (untrained)", gan: gan, conditioning: conditioning),
                        generator: generator, codec: codec)
  }

  /// Runs the codec's decoders (99 % of the work) in `dtype` (`SpectralCodec.setDecoderPrecision`);
  /// the generator and the inverse STFT stay in float32.
  public func setDecoderPrecision(_ dtype: DType) throws {
    try codec.setDecoderPrecision(dtype)
  }

  /// Readies the model for generation only: the same audio with less memory (at full size ~110 MB).
  /// The transposed convolutions' weights are kept once, in the layout their CPU forward uses, instead
  /// of twice (`Module.packForInference`), and the codec's encoders, which generation never runs, are
  /// freed. Training, encoding, `export` and saving need a model that was not readied.
  public func packForGeneration() throws {
    try generator.packForInference()
    try codec.packForInference()
    try codec.releaseEncoders()
    TorchRuntime.releaseFreeMemory()
  }

  /// Whether `folder` is a model folder (a config and a generator; a codec folder is not).
  public static func isModelFolder(_ folder: URL) -> Bool {
    let fm = FileManager.default
    return fm.fileExists(atPath: folder.appendingPathComponent(configFile).path)
      && fm.fileExists(atPath: folder.appendingPathComponent(generatorFile).path)
  }

  public var sampleRate: Int { codec.config.sampleRate }
  /// Seconds of audio one latent vector stands for.
  public var secondsPerVector: Double { Double(codec.samplesPerVector) / Double(sampleRate) }

  /// The model card's text, when the folder has one.
  public var card: String? {
    folder.flatMap { try? String(contentsOf: $0.appendingPathComponent(Self.cardFile), encoding: .utf8) }
  }

  public static func load(from folder: URL) throws -> GANModel {
    let configURL = folder.appendingPathComponent(configFile)
    guard FileManager.default.fileExists(atPath: configURL.path) else {
      let hint = FileManager.default.fileExists(atPath: folder.appendingPathComponent("checkpoint").path)
        ? " (it looks like a training run: use \(folder.appendingPathComponent("model").path))" : ""
      throw MusikaError.invalidInput("\(folder.path) is not a model folder: it has no \(configFile)\(hint)")
    }
    let config: GANModelConfig
    do {
      config = try JSONDecoder().decode(GANModelConfig.self, from: Data(contentsOf: configURL))
    } catch {
      throw MusikaError.invalidConfig("\(configURL.path): \(error)")
    }
    try config.validate()
    let codec = try SpectralCodec.load(from: folder.appendingPathComponent(config.codecFolder))
    let generator = LatentGenerator(config.gan)
    let weights = try Safetensors.read(folder.appendingPathComponent(generatorFile))
    do {
      try withNoGrad { try generator.load(weights.tensors.mapValues { $0.to(dtype: .float32) }) }
    } catch {
      throw MusikaError.invalidInput("\(folder.path)/\(generatorFile) does not fit its config: \(error)")
    }
    return try GANModel(config: config, generator: generator, codec: codec, folder: folder)
  }

  /// Writes the model folder atomically (generator weights and codec as `dtype`).
  public func save(to folder: URL, dtype: DType = .float32, card: String? = nil) throws {
    try AtomicFolder.write(folder) { staging in
      try Self.writeFiles(into: staging, config: config, generatorWeights: generator.stateDict(), codec: codec,
                          dtype: dtype, card: card ?? self.card)
    }
  }

  /// Writes the files of a model folder into an existing folder.
  static func writeFiles(into folder: URL, config: GANModelConfig, generatorWeights: [String: Tensor],
                         codec: SpectralCodec, dtype: DType, card: String?) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    // Stamped here, where every model folder is written (training, export), so that no writer can
    // leave a latent-scaled model readable by a release that would misplay it.
    var config = config
    config.gan.formatVersion = max(config.gan.formatVersion, config.gan.requiredFormatVersion)
    try encoder.encode(config).write(to: folder.appendingPathComponent(configFile))
    try Safetensors.write(generatorWeights.mapValues { $0.to(dtype: dtype) },
                          metadata: ["musika": MusikaVersion.string, "steps": String(config.trainedSteps)],
                          to: folder.appendingPathComponent(generatorFile))
    let codecFolder = folder.appendingPathComponent(config.codecFolder)
    try FileManager.default.createDirectory(at: codecFolder, withIntermediateDirectories: true)
    try codec.writeFiles(into: codecFolder, dtype: dtype)
    if let card { try card.write(to: folder.appendingPathComponent(cardFile), atomically: false, encoding: .utf8) }
  }
}
