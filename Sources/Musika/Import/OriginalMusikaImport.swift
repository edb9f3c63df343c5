import Foundation
import Torch

/// The original Musika's released weights (Keras .h5 files, MIT licensed) as our codec and model
/// folders. The original publishes them on the Hugging Face Hub: the universal autoencoder in
/// `marcop/musika_ae` (enc.h5, dec.h5, enc2.h5, dec2.h5) and each GAN in `marcop/musika_<name>`
/// (techno, misc, misc_small; gen_ema.h5 is the generator it plays with).
///
/// The architectures are read off the files: every width of the original derives from its `hop`
/// (the autoencoder) and `base_channels` (the GAN), so the released files give `musika-44k` and
/// `musika-44k-small`, and files made with other values (the parity fixtures) give those sizes.
public enum OriginalMusikaImport {
  public static let autoencoderFiles = ["enc.h5", "dec.h5", "enc2.h5", "dec2.h5"]
  /// In order of preference: the EMA generator (what the original generates with), then the raw one.
  public static let generatorFiles = ["gen_ema.h5", "gen.h5"]
  public static let autoencoderRepository = "marcop/musika_ae"
  /// The GANs the original released, each in the Hugging Face repository marcop/musika_<name>.
  public static let releasedGANs = ["techno", "misc", "misc_small"]
  /// The original's sample rate, normalisation and STFT (n_fft = 4·hop), which its files do not record.
  static let sampleRate = 44_100
  static let mu = -25.0
  static let sigma = 75.0

  // MARK: The autoencoder

  /// The codec of an autoencoder folder holding enc.h5, dec.h5, enc2.h5 and dec2.h5.
  public static func codec(fromAutoencoder folder: URL) throws -> SpectralCodec {
    var files: [String: KerasWeightsFile] = [:]
    for name in autoencoderFiles {
      let url = folder.appendingPathComponent(name)
      guard FileManager.default.fileExists(atPath: url.path) else {
        throw MusikaError.invalidInput("\(folder.path) has no \(name): an autoencoder folder holds "
          + autoencoderFiles.joined(separator: ", ") + " (the original publishes them in the Hugging Face repository "
          + "\(autoencoderRepository))")
      }
      files[name] = try KerasWeightsFile(url)
    }
    let codec = try SpectralCodec(config: try codecConfig(encoder: files["enc.h5"]!, latentDecoder: files["dec2.h5"]!))
    try load(codec, from: files["enc.h5"]!, files["dec.h5"]!, files["enc2.h5"]!, files["dec2.h5"]!)
    return codec
  }

  /// Loads the four networks of `codec` from the original's files.
  static func load(_ codec: SpectralCodec, from encoder: KerasWeightsFile, _ decoder: KerasWeightsFile,
                   _ latentEncoder: KerasWeightsFile, _ latentDecoder: KerasWeightsFile) throws {
    try KerasLayerMapping.load(codec.encoder, named: "ENC", from: encoder, layers: OriginalMusikaLayers.encoder,
                               matching: .byOrder)
    try KerasLayerMapping.load(codec.decoder, named: "DEC", from: decoder, layers: OriginalMusikaLayers.decoder,
                               matching: .byOrder)
    try KerasLayerMapping.load(codec.latentEncoder, named: "ENC2", from: latentEncoder,
                               layers: OriginalMusikaLayers.latentEncoder, matching: .byOrder)
    try KerasLayerMapping.load(codec.latentDecoder, named: "DEC2", from: latentDecoder,
                               layers: OriginalMusikaLayers.latentDecoder, matching: .byOrder)
    codec.eval()
  }

  /// The original's autoencoder widths all derive from `hop` (ENC 4·hop; DEC 3, 3, 2, 1 ·hop; ENC2
  /// 1, 1.5, 2, 3 ·hop; DEC2 3, 2.5, 2, 1.5, 1 ·hop; level-1 latent hop/4) and the level-2 latent from
  /// `latdepth`. ENC's first kernel (1, 1, 2·hop + 1, 4·hop) gives hop; DEC2's first (1, 3, latdepth,
  /// 3·hop) gives latdepth. Every other shape is then checked layer by layer.
  static func codecConfig(encoder: KerasWeightsFile, latentDecoder: KerasWeightsFile) throws -> CodecConfig {
    let first = encoder.layers.first?.weights.first { $0.role == "kernel" }
    guard let kernel = first?.shape, kernel.count == 4, kernel[0] == 1, kernel[1] == 1, kernel[2] % 2 == 1,
          (kernel[2] - 1) % 8 == 0, kernel[3] == 2 * (kernel[2] - 1) else {
      throw MusikaError.invalidInput("\(encoder.url.path): its first layer's kernel "
        + "\(first.map { "'\($0.path)' has shape \($0.shape)" } ?? "is missing"), where the original's ENC has "
        + "(1, 1, 2·hop + 1, 4·hop) with hop a multiple of 4 ([1, 1, 513, 1024] in the released model). Is this enc.h5? "
        + "(The 22 kHz version of the paper, with BatchNorm and other widths, is not supported.)")
    }
    let hop = (kernel[2] - 1) / 2
    let second = latentDecoder.layers.first?.weights.first { $0.role == "kernel" }
    guard let vectorKernel = second?.shape, vectorKernel.count == 4, vectorKernel[3] == 3 * hop else {
      throw MusikaError.invalidInput("\(latentDecoder.url.path): its first layer's kernel "
        + "\(second.map { "'\($0.path)' has shape \($0.shape)" } ?? "is missing"), where the original's DEC2 has "
        + "(1, 3, latdepth, \(3 * hop)) for this autoencoder. Is this dec2.h5, of the same autoencoder as enc.h5?")
    }
    var config = CodecConfig(
      formatVersion: 1, name: "original-hop\(hop)", sampleRate: sampleRate, nFFT: 4 * hop,
      hop: hop, mu: mu, sigma: sigma, latentChannels: hop / 4, vectorChannels: vectorKernel[2], encoderWidth: 4 * hop,
      decoderWidths: [3 * hop, 3 * hop, 2 * hop, hop], latentEncoderWidths: [hop, 3 * hop / 2, 2 * hop, 3 * hop],
      latentDecoderWidths: [3 * hop, 5 * hop / 2, 2 * hop, 3 * hop / 2, hop])
    var released = CodecConfig.musika44k
    released.name = config.name
    if config == released { config.name = CodecConfig.musika44k.name }
    return config
  }

  // MARK: The generator

  /// The generator file of a GAN folder (gen_ema.h5, else gen.h5), or `path` itself when it is a file.
  public static func generatorFile(in path: URL) throws -> URL {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isFolder) else {
      throw MusikaError.invalidInput("\(path.path) does not exist")
    }
    guard isFolder.boolValue else { return path }
    for name in generatorFiles where FileManager.default.fileExists(atPath: path.appendingPathComponent(name).path) {
      return path.appendingPathComponent(name)
    }
    throw MusikaError.invalidInput("\(path.path) has no " + generatorFiles.joined(separator: " or ")
      + ": a GAN folder of the original holds its generator as gen_ema.h5 (the Hugging Face repositories "
      + "marcop/musika_techno, marcop/musika_misc, marcop/musika_misc_small)")
  }

  /// The generator in a Keras file of the original's (gen_ema.h5 or gen.h5).
  public static func generator(from url: URL) throws -> LatentGenerator {
    let file = try KerasWeightsFile(url)
    let generator = LatentGenerator(try ganConfig(file))
    try KerasLayerMapping.load(generator, named: "generator", from: file,
                               layers: OriginalMusikaLayers.generator(small: generator.config.isSmall), matching: .byName)
    generator.eval()
    return generator
  }

  /// The generator's widths derive from `base_channels` b: the dense "00d" maps 2 coordinate vectors
  /// to 4·7b; "00ai" reads the coordinates (2·latdepth channels); "9c" writes the latents. The
  /// `--small` model (64-vector windows) names its first stage "0_small".
  static func ganConfig(_ file: KerasWeightsFile) throws -> GANConfig {
    func kernel(_ layer: String) -> [Int]? {
      file.layers.first { $0.name == layer }?.weights.first { $0.role == "kernel" }?.shape
    }
    guard let dense = kernel("00d"), dense.count == 2, dense[1] % 28 == 0,
          let style = kernel("00ai"), style.count == 4, style[3] == dense[1] / 4, dense[0] == 2 * style[2],
          let out = kernel("9c"), out.count == 4 else {
      throw MusikaError.invalidInput("\(file.url.path) is not a generator of the original Musika: it needs layers "
        + "'00d' (dense, kernel (2·C, 28·b)), '00ai' (kernel (1, 1, C, 7·b)) and '9c', as gen_ema.h5 has "
        + "(found: " + file.layers.prefix(4).map(\.summary).joined(separator: ", ") + (file.layers.count > 4 ? ", …)" : ")"))
    }
    let small = file.layers.contains { $0.name == "0_smallc" }
    let preset = small ? GANConfig.musika44kSmall : GANConfig.musika44k
    var config = preset
    config.baseChannels = dense[1] / 28
    config.coordinateChannels = style[2]
    config.latentChannels = out[3]
    if config != preset { config.name = "original-b\(config.baseChannels)\(small ? "-small" : "")" }
    try config.validate()
    return config
  }

  // MARK: Model folders

  /// A model (generator + codec) from the original's files, named `name`, with its card.
  public static func model(autoencoder: URL, generator generatorPath: URL,
                           name: String) throws -> (model: GANModel, card: String) {
    let generatorURL = try generatorFile(in: generatorPath)
    let codec = try codec(fromAutoencoder: autoencoder)
    let generator = try generator(from: generatorURL)
    var config = GANModelConfig(name: name, gan: generator.config)
    config.origin = "the original Musika's \(generatorURL.lastPathComponent), imported with musika import"
    let model = try GANModel(config: config, generator: generator, codec: codec)
    let generatorRow = (generatorURL, generatorURL.lastPathComponent == "gen_ema.h5" ? "generator (EMA weights)" : "generator",
                        generator.parameterCount)
    let folder = generatorURL.deletingLastPathComponent().lastPathComponent
    let repository = releasedGANs.contains(folder) ? "`marcop/musika_\(folder)`"
      : releasedGANs.map { "`marcop/musika_\($0)`" }.joined(separator: ", ")
    return (model, card(title: "\(name): the original Musika's model, imported", codec: codec, model: model,
                        files: [generatorRow] + autoencoderRows(codec, autoencoder), repository: repository))
  }

  /// The codec folder's card.
  public static func codecCard(_ codec: SpectralCodec, autoencoder: URL) -> String {
    card(title: "\(codec.config.name): the original Musika's universal autoencoder, imported", codec: codec, model: nil,
         files: autoencoderRows(codec, autoencoder), repository: nil)
  }

  /// (file, network, parameters) of the autoencoder's four files, for the cards.
  private static func autoencoderRows(_ codec: SpectralCodec, _ folder: URL) -> [(URL, String, Int)] {
    let networks: [(String, Module)] = [("ENC", codec.encoder), ("DEC", codec.decoder), ("ENC2", codec.latentEncoder),
                                        ("DEC2", codec.latentDecoder)]
    return zip(autoencoderFiles, networks).map { (folder.appendingPathComponent($0), $1.0, $1.1.parameterCount) }
  }

  private static func card(title: String, codec: SpectralCodec, model: GANModel?, files: [(URL, String, Int)],
                           repository: String?) -> String {
    func bytes(_ url: URL) -> String {
      let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
      return size.map { String($0) } ?? "?"
    }
    var lines = ["# \(title)", ""]
    lines.append("Weights of the original Musika (Marco Pasini and Jan Schlüter, \"Musika! Fast Infinite Waveform "
      + "Music Generation\", ISMIR 2022; https://github.com/marcoppasini/musika, MIT License), converted from its "
      + "Keras files by `musika import`. They were trained by the original's authors, not here: the number of "
      + "training steps is not recorded in the files.")
    lines.append("")
    lines.append("| file | bytes | network | parameters |")
    lines.append("|---|---|---|---|")
    for (url, network, parameters) in files {
      lines.append("| \(url.lastPathComponent) | \(bytes(url)) | \(network) | \(parameters) |")
    }
    lines.append("")
    lines.append("The original publishes these files on the Hugging Face Hub: the autoencoder in "
      + "`\(autoencoderRepository)`" + (repository.map { ", the generator in \($0)." } ?? "."))
    lines.append("")
    lines.append("- Architecture: codec `\(codec.config.name)` (\(codec.parameterCount) parameters, "
      + "\(codec.config.sampleRate) Hz, STFT \(codec.config.nFFT)/\(codec.config.hop))"
      + (model.map { ", generator `\($0.config.gan.name)` (\($0.generator.parameterCount) parameters, windows of "
        + "\($0.config.gan.windowVectors) vectors)" } ?? "") + ".")
    lines.append("- Every Keras dataset was mapped to exactly one parameter with its shape checked. The networks "
      + "compute the original's forward pass (checked against TensorFlow on random weights: "
      + "tools/make_parity_fixtures.py and Tests/MusikaTests/KerasParityTests.swift).")
    lines.append("- Played by this engine, the \(model == nil ? "codec" : "model") decodes with context on both sides of "
      + "each chunk (no 0.37 s window seams) and draws its noise from seeded generators"
      + (model == nil ? "." : "; it streams, seeks and steers like a model trained here, and takes no tempo or "
        + "density condition."))
    return lines.joined(separator: "\n") + "\n"
  }
}
