import ArgumentParser
import Foundation
import Musika

extension MusikaCommand {
  struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "import",
      abstract: "Convert the original Musika's released Keras weights (.h5) into a model or codec folder.",
      discussion: """
        --ae is the original's autoencoder folder: enc.h5, dec.h5, enc2.h5 and dec2.h5 (the Hugging \
        Face repository marcop/musika_ae). --gan is one of its GAN folders, holding gen_ema.h5 (else \
        gen.h5): marcop/musika_techno, marcop/musika_misc or marcop/musika_misc_small; or the generator \
        file itself. With --gan, OUT becomes a model folder for `musika generate --model OUT` (and \
        stream, serve, info), its codec inside; without it, a codec folder. The architecture \
        (musika-44k, or musika-44k-small for misc_small) is read off the files. Every dataset must \
        become exactly one of our weights: one that is missing, extra or of another shape is an error \
        that names it. OUT is written atomically; its MODEL_CARD.md says where the weights came from.
        """
    )

    @Option(help: "The original's autoencoder folder (enc.h5, dec.h5, enc2.h5, dec2.h5).") var ae: String
    @Option(help: "The original's GAN folder (gen_ema.h5) or a generator .h5 file; without it only the codec is imported.")
    var gan: String?
    @Option(help: "The model's name (default: the GAN folder's name, e.g. techno).") var name: String?
    @Argument(help: "Output folder.") var output: String

    func run() throws {
      let started = Date()
      let autoencoder = URL(fileURLWithPath: ae)
      let target = URL(fileURLWithPath: output)
      guard let gan else {
        if name != nil { throw ValidationError("--name names a model; without --gan only a codec is imported") }
        let codec = try OriginalMusikaImport.codec(fromAutoencoder: autoencoder)
        try codec.save(to: target, card: OriginalMusikaImport.codecCard(codec, autoencoder: autoencoder))
        report("imported codec \(codec.config.name) (\(codec.parameterCount) parameters) from \(autoencoder.path) "
          + String(format: "in %.1f s", Date().timeIntervalSince(started)))
        print(target.path)
        return
      }
      let generatorURL = try OriginalMusikaImport.generatorFile(in: URL(fileURLWithPath: gan))
      let modelName = name ?? generatorURL.deletingLastPathComponent().lastPathComponent
      let (model, card) = try OriginalMusikaImport.model(autoencoder: autoencoder, generator: generatorURL, name: modelName)
      try model.save(to: target, card: card)
      report("imported \(modelName): generator \(model.config.gan.name) (\(model.generator.parameterCount) parameters) "
        + "from \(generatorURL.path), codec \(model.codec.config.name) (\(model.codec.parameterCount)) from "
        + "\(autoencoder.path) " + String(format: "in %.1f s", Date().timeIntervalSince(started)))
      print(target.path)
    }
  }
}
