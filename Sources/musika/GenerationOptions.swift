import ArgumentParser
import Foundation
import Musika
import Torch

extension DecoderPrecision: ExpressibleByArgument {}
extension PhaseSource: ExpressibleByArgument {}

/// Model and controls shared by `generate` and `stream`.
struct GenerationOptions: ParsableArguments {
  @Option(help: "Model folder (config.json, generator.safetensors, codec/), e.g. a run's OUT_DIR/model (default: the bundled models/techno).")
  var model: String?

  @Option(help: "Seed: the same seed and options give the same audio, bit for bit.")
  var seed: UInt64 = 0

  @Option(help: "Truncation of the random draws, in (0, 10]: lower is safer and plainer (default: the model's, which `musika info MODEL` shows).")
  var truncation: Double?

  @Option(help: "Tempo in BPM (tempo-conditioned models; default: the training set's mean).")
  var tempo: Double?

  @Option(help: "Note density in onsets per second (density-conditioned models).")
  var density: Double?

  @Option(help: "Text file of 'seconds density' lines: a note-density curve over time.")
  var densityCurve: String?

  @Option(help: ArgumentHelp("Precision of the decoders: auto, fp32 or bf16.",
                             discussion: "auto (the default) is bf16 on CPUs with AMX or AMD CPUs with AVX-512 BF16 "
                               + "(Zen 4 and later), where it is 1.7–2× as fast and the audio stays within the bound "
                               + "the README quotes, and fp32 elsewhere, where bf16 measured slower (Intel's AVX-512 "
                               + "BF16 without AMX) or is emulated (AVX2)."))
  var precision: DecoderPrecision = .auto

  @Option(name: .customLong("phase-from"),
          help: ArgumentHelp("Where the decoder takes the phase from: decoder or magnitude (default: the codec's setting).",
                             discussion: "decoder is DEC's phase head, as the original; magnitude integrates the phase from "
                               + "DEC's magnitude (phase gradient heap integration), which keeps tones between STFT bins "
                               + "in tune where a phase head pulls them to a bin centre. That phase runs on from where the "
                               + "audio began, so --start gives that span's sound but not the same samples as a longer "
                               + "piece, and loops (--loop) keep the phase head.",
                             valueName: "source"))
  var phaseSource: PhaseSource?
  @OptionGroup var phaseIterations: PhaseIterationsOption

  func validate() throws {
    if density != nil && densityCurve != nil {
      throw ValidationError("give either --density or --density-curve, not both.")
    }
  }

  func loadModel() throws -> GANModel {
    let path = try self.model ?? BundledModels.defaultModelPath(option: "model")
    let model: GANModel
    do {
      model = try GANModel.load(from: URL(fileURLWithPath: path))
    } catch {
      throw ValidationError("--model \(path): \(error)")
    }
    try model.packForGeneration()
    try model.setDecoderPrecision(precision.dtype())
    if let phaseSource { model.codec.phaseSource = phaseSource }
    phaseIterations.apply(to: model.codec)
    report("decoders: \(precision.describe()), phase from \(model.codec.phaseSource.describe(iterations: model.codec.phaseIterations))")
    return model
  }

  /// The flags as `Controls`, the form every front end shares.
  func requested(seed: UInt64? = nil) throws -> Controls {
    var controls = Controls(seed: seed ?? self.seed, truncation: truncation, tempo: tempo, density: density)
    if let densityCurve { controls.densityCurve = try DensityCurve(contentsOf: URL(fileURLWithPath: densityCurve)).pairs }
    return controls
  }

  func controls(for model: GANModel, seed: UInt64? = nil) throws -> GenerationControls {
    try resolve(try requested(seed: seed), for: model)
  }

  /// `requested` checked against the model (a ValidationError naming the problem) and completed.
  func resolve(_ requested: Controls, for model: GANModel) throws -> GenerationControls {
    if let warning = requested.tempoWarning(for: model.config) { report("note: \(warning)") }
    do {
      return try requested.resolved(for: model.config)
    } catch let error as MusikaError {
      throw ValidationError("\(error)")
    }
  }
}
