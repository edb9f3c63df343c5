import ArgumentParser
import Foundation
import Musika
import Torch

extension MusikaCommand {
  struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Copy a model or codec folder for shipping: weights stored in bf16 (half the size), a card beside them.",
      discussion: """
        MODEL is a model folder (e.g. a training run's OUT/model) or a codec folder (e.g. OUT/codec of \
        `musika codec train`); OUT is written atomically. Weights are stored as --precision (bf16 by \
        default) and read back as float32, so generation stays deterministic. --card replaces \
        MODEL_CARD.md; --name, --truncation, --gain-db and --style-truncation set how the shipped model \
        is named and plays, so a run's model folder ships without editing its config.json.
        """
    )

    @Argument(help: "Model folder or codec folder.") var model: String
    @Argument(help: "Output folder.") var output: String
    @Option(help: "Storage precision of the weights: bf16, fp16 or fp32.") var precision: StoragePrecision = .bf16
    @Option(help: "Markdown file to ship as MODEL_CARD.md.") var card: String?
    @Option(help: "Name of the shipped model, as `info`, Studio and its card call it (default: keep its name).") var name: String?
    @Option(help: "The model's default truncation of its random draws, in (0, 10] (default: keep the model's).")
    var truncation: Double?
    @Option(name: .customLong("gain-db"), help: "Output gain of a model's audio, in dB (default: keep the model's).")
    var gainDecibels: Double?
    @Option(name: .customLong("style-truncation"),
            help: "Draw the style vector within ±this in playback, tighter than the truncation (default: keep the model's; 0: remove it).")
    var styleTruncation: Double?

    enum StoragePrecision: String, ExpressibleByArgument, CaseIterable {
      case bf16, fp16, fp32
      var dtype: DType { switch self { case .bf16: .bfloat16; case .fp16: .float16; case .fp32: .float32 } }
    }

    func run() throws {
      let source = URL(fileURLWithPath: model)
      let target = URL(fileURLWithPath: output)
      let text = try card.map { try String(contentsOfFile: $0, encoding: .utf8) }
      if SpectralCodec.isCodecFolder(source) {
        if gainDecibels != nil || styleTruncation != nil || truncation != nil || name != nil {
          throw ValidationError("--gain-db and --style-truncation apply to models, as do --name and --truncation, and \(model) is a codec folder")
        }
        let kept = try? String(contentsOf: source.appendingPathComponent(GANModel.cardFile), encoding: .utf8)
        try SpectralCodec.load(from: source).save(to: target, dtype: precision.dtype, card: text ?? kept)
      } else {
        let loaded = try GANModel.load(from: source)
        var config = loaded.config
        if let gainDecibels { config.outputGainDecibels = gainDecibels }
        if let styleTruncation { config.styleTruncation = styleTruncation == 0 ? nil : styleTruncation }
        if let name { config.name = name }
        if let truncation { config.defaultTruncation = truncation }
        try GANModel(config: config, generator: loaded.generator, codec: loaded.codec)
          .save(to: target, dtype: precision.dtype, card: text ?? loaded.card)
      }
      print(target.path)
    }
  }
}
