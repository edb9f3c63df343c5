import ArgumentParser
import Foundation
import Musika

extension MusikaCommand {
  struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Describe model and codec folders: architecture, conditioning, training and card.",
      discussion: """
        For each FOLDER (default: every model in the bundled models/), loads it, which checks its \
        files, and prints what it is: the architecture and its parameter count, the sample rate and \
        the seconds one latent vector stands for, the conditions it accepts with the range it was \
        trained on, the steps trained, the output gain, and the title of its MODEL_CARD.md. --json \
        prints one JSON object per folder, with config.json's fields as they are.
        """
    )

    @Argument(help: "Model or codec folders (default: the bundled models/).") var folders: [String] = []
    @Flag(help: "One JSON object per folder: path, kind, parameters, card title and its config.json.") var json = false

    func run() throws {
      var urls = folders.map { URL(fileURLWithPath: $0) }
      if urls.isEmpty {
        guard let bundled = BundledModels.folder() else {
          throw ValidationError("no folder given and no bundled models found (looked in $MUSIKA_MODELS, ./models "
            + "and beside the executable); pass a model folder, e.g. a training run's OUT_DIR/model")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: bundled.path).sorted()
        urls = names.map { bundled.appendingPathComponent($0) }
          .filter { GANModel.isModelFolder($0) || SpectralCodec.isCodecFolder($0) }
      }
      for folder in urls { try describe(folder) }
    }

    private func describe(_ folder: URL) throws {
      let isModel = GANModel.isModelFolder(folder)
      guard isModel || SpectralCodec.isCodecFolder(folder) else {
        throw ValidationError("\(folder.path) is neither a model folder (\(GANModel.generatorFile)) nor a codec folder "
          + "(\(SpectralCodec.weightsFile))")
      }
      let card = try? String(contentsOf: folder.appendingPathComponent(GANModel.cardFile), encoding: .utf8)
      let title = card?.split(separator: "\n").first { $0.hasPrefix("# ") }.map { String($0.dropFirst(2)) }
      if isModel {
        let model = try GANModel.load(from: folder)
        let c = model.config
        if json {
          try printJSON(folder, kind: "model", parameters: model.generator.parameterCount, title: title)
          return
        }
        print("\(folder.path): model '\(c.name)'")
        print("  generator    \(c.gan.name), \(model.generator.parameterCount) parameters, windows of \(c.gan.windowVectors) vectors "
          + String(format: "(%.1f s)", Double(c.gan.windowVectors) * model.secondsPerVector))
        print("  codec        '\(model.codec.config.name)' (\(c.codecFolder)/), \(model.codec.parameterCount) parameters, "
          + "\(model.sampleRate) Hz, " + String(format: "%.3f s per latent vector", model.secondsPerVector))
        print("  conditioning \(c.conditioning.summary)")
        if let tempo = c.conditioning.tempo {
          print(String(format: "               --tempo: training mean %.1f BPM, deviation %.1f", tempo.mean, tempo.deviation))
        }
        if let density = c.conditioning.density {
          print(String(format: "               --density: training mean %.2f onsets/s, deviation %.2f", density.mean, density.deviation))
        }
        if let origin = c.origin {
          print("  trained      elsewhere: \(origin)")
        } else {
          print("  trained      \(c.trainedSteps == 0 ? "untrained (0 steps): it makes noise" : "\(c.trainedSteps) steps")")
        }
        let style = c.styleTruncation.map { String(format: " (style within ±%g)", $0) } ?? ""
        print(String(format: "  playback     truncation %g", c.defaultTruncation) + style
              + String(format: ", output gain %+.1f dB", c.outputGainDecibels ?? 0))
        print("  decoding     " + Self.decoding(model.codec))
      } else {
        let codec = try SpectralCodec.load(from: folder)
        if json {
          try printJSON(folder, kind: "codec", parameters: codec.parameterCount, title: title)
          return
        }
        print("\(folder.path): codec '\(codec.config.name)'")
        print("  autoencoder  \(codec.parameterCount) parameters, \(codec.config.sampleRate) Hz, STFT \(codec.config.nFFT)/\(codec.config.hop), "
          + "\(codec.config.latentChannels) level-1 and \(2 * codec.config.vectorChannels) level-2 channels, "
          + String(format: "%.3f s per latent vector", Double(codec.samplesPerVector) / Double(codec.config.sampleRate)))
        print("  decoding     " + Self.decoding(codec))
      }
      print("  card         \(title ?? "none (no \(GANModel.cardFile))")")
    }

    /// "phase from magnitude + 4 fast Griffin-Lim iterations, output equalised".
    static func decoding(_ codec: SpectralCodec) -> String {
      "phase from " + codec.phaseSource.describe(iterations: codec.phaseIterations)
        + (codec.config.equalizationDb == nil ? "" : ", output equalised")
    }

    private func printJSON(_ folder: URL, kind: String, parameters: Int, title: String?) throws {
      let config = try Data(contentsOf: folder.appendingPathComponent(GANModel.configFile))
      let object: [String: Any] = ["path": folder.path, "kind": kind, "parameters": parameters, "card": title ?? NSNull(),
                                   "config": try JSONSerialization.jsonObject(with: config)]
      print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
    }
  }
}
