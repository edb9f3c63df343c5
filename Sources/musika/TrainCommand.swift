import ArgumentParser
import Foundation
import Musika
import Torch

/// Named GAN architectures for `--config`.
enum GANPreset: String, ExpressibleByArgument, CaseIterable {
  /// The original's generator (15.5 M parameters) and critic (20.8 M), 11.9 s windows: a GPU job.
  case musika44k = "musika-44k"
  /// The original's `--small` model: 5.9 s windows.
  case musika44kSmall = "musika-44k-small"
  /// Half width, full windows (4.3 M generator, 5.2 M critic parameters).
  case small
  /// Quarter width, full windows (1.3 M generator, 1.3 M critic): trains on a 2-core CPU in hours.
  case tiny
  /// 1/16 width, short windows: for tests and smoke runs.
  case micro

  var config: GANConfig {
    switch self {
    case .musika44k: .musika44k
    case .musika44kSmall: .musika44kSmall
    case .small: GANConfig.musika44k.scaled(baseChannels: 64, name: "small").with(upsampling: .nearest).with(edges: .replicate)
    case .tiny: GANConfig.musika44k.scaled(baseChannels: 32, name: "tiny").with(upsampling: .nearest).with(edges: .replicate)
    case .micro: GANConfig.musika44kSmall.scaled(baseChannels: 8, name: "micro").with(upsampling: .nearest).with(edges: .replicate)
    }
  }
}

extension GANPreset {
  /// The original's presets train in the codec's units, as it did; ours in units of the latents' RMS.
  var defaultLatentScale: LatentScaleChoice {
    switch self {
    case .musika44k, .musika44kSmall: .value(1)
    case .small, .tiny, .micro: .auto
    }
  }
}

extension GANConfig.Upsampling: ExpressibleByArgument {}
extension GANConfig.Edges: ExpressibleByArgument {}

/// `--latent-scale`: measured from the training latents, or given.
enum LatentScaleChoice: ExpressibleByArgument {
  case auto
  case value(Double)

  init?(argument: String) {
    if argument == "auto" { self = .auto; return }
    guard let value = Double(argument), value > 0, value.isFinite else { return nil }
    self = .value(value)
  }
}
extension TrainingPrecision: ExpressibleByArgument {}

enum ConditionName: String, ExpressibleByArgument, CaseIterable {
  case tempo, density
}

extension MusikaCommand {
  struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Train a latent GAN on encoded music; resumes when OUT_DIR holds a checkpoint.",
      discussion: """
        DATA is a folder written by `musika encode` (latent files and manifest.json). The GAN learns to \
        turn random coordinates into latent sequences; the codec turns them into audio. Training follows \
        the original: hinge loss with an adaptive R1 penalty, Adam (0.5, 0.999), an EMA of the generator \
        updated every step — but each sample gets its own crop phase and left/right swap. \
        --condition tempo and/or density trains a conditioned model from the labels `musika label` wrote \
        into the manifest. OUT_DIR gets checkpoints/latest/ (everything needed to resume; checkpoints/step-N/ kept every --milestone-every steps), model/ (the EMA \
        generator with its codec, usable by `musika generate --model` at any time), metrics.jsonl and \
        samples/ (WAV + spectrogram PNG every --sample-every steps). Interrupt at any time and run the \
        same command again to continue exactly; raise --steps on a resume to train longer. A NaN rolls \
        back to the last checkpoint at half the learning rate.
        """
    )

    @Option(help: "Encoded dataset folder (from `musika encode`).", transform: { URL(fileURLWithPath: $0) })
    var data: URL

    @Option(name: .customLong("codec"), help: "Codec folder (default: the one the data was encoded with).")
    var codecPath: String?

    @Option(name: .customLong("out"), help: "Output folder of the run.", transform: { URL(fileURLWithPath: $0) })
    var output: URL

    @Option(help: """
      Architecture: musika-44k (the original: 15.5 M generator and 20.8 M critic parameters, a GPU job), \
      musika-44k-small (5.9 s windows), small (4.3 M + 5.2 M), tiny (1.3 M + 1.3 M, trains on a CPU), \
      micro (smoke tests).
      """)
    var config: GANPreset = .tiny

    @Option(help: ArgumentHelp(
      "Generator upsampling: transposed (the original's), nearest (repeat, then convolve) or linear (interpolate, then convolve).",
      discussion: "Default: the original's for musika-44k and musika-44k-small (they load its weights), nearest for "
        + "our presets, whose generators then build in no period-2 pattern. A resumed run keeps its own."))
    var upsampling: GANConfig.Upsampling?

    @Option(help: ArgumentHelp(
      "What the generator's convolutions see beyond a window's ends: zeros (the original's), replicate (the end vector repeated) or reflect (mirrored).",
      discussion: "Zeros leave the last vectors of every window quiet with nearest or linear upsampling (a level "
        + "dip at every window boundary). Default: zeros for musika-44k and musika-44k-small (the original's), "
        + "replicate for our presets. A resumed run keeps its own."))
    var edges: GANConfig.Edges?

    @Option(help: ArgumentHelp(
      "The latent size that generator and critic work in units of: auto (the RMS of the training latents), a number, or 1 (the codec's own units).",
      discussion: "Generated latents are the generator's output times this; real ones are divided by it in training, "
        + "so both nets see latents of unit size whatever the codec (the critic's R1 penalty is otherwise 1/scale² "
        + "heavier: with the bundled codec's latents, RMS 0.05–0.07, the piano critic did not learn to read "
        + "density in 13 000 steps; with auto it did from the first 1 000). Default: auto for our presets, 1 for "
        + "musika-44k and musika-44k-small (the original's). A resumed run keeps its own."))
    var latentScale: LatentScaleChoice?

    @Option(parsing: .upToNextOption, help: "Conditions: tempo, density (default: none).")
    var condition: [ConditionName] = []

    @Option(help: "Total training steps.") var steps: Int?
    @Option(help: "Crops per step.") var batch: Int?
    @Option(help: "Learning rate of generator and critic.") var lr: Double?
    @Option(help: "Steps between checkpoints (and refreshes of OUT_DIR/model).") var checkpointEvery: Int?
    @Option(help: "Steps between milestone checkpoints kept for good (checkpoints/step-N).") var milestoneEvery: Int?
    @Option(help: "Steps between audio/spectrogram samples.") var sampleEvery: Int?
    @Option(help: "Seed of initialisation, crops, coordinates and noise.") var seed: UInt64?
    @Option(help: """
      Conditioned models: share (0–1) of the critic's fake term given to real crops paired with another \
      crop's tempo/density, so that the critic, and through it the generator, learns to follow the \
      controls (default 0.5; 0: off).
      """) var mismatchWeight: Double?
    @Option(help: """
      R1 weight at step 0, as a share (0–1) of its maximum 10; it then adapts to keep the critic \
      about 90 % sure (default 0; the original: 1, which holds the critic flat for ~10 000 steps).
      """) var r1Start: Double?
    @Option(help: "How fast the R1 weight adapts, per step, as a share of its maximum (default 0.001; the original: 0.0001).")
    var r1SwitchStep: Double?
    @Option(name: .customLong("r1-every"), help: """
      Compute the critic's R1 penalty every N steps at N times its weight (lazy regularisation, as \
      StyleGAN2): each step is cheaper by most of the penalty's double backward (1.1–1.2× steps/s for \
      `tiny`), but 4 held a density-conditioned piano run quiet and deaf to its control for 18 000 \
      steps that every-step R1 passed in 10 000 (README). Default 1: every step.
      """) var r1Every: Int?
    @Flag(inversion: .prefixedNo, help: """
      Move each crop the critic judges by 0 or 1 latent vector at random, so that it sees generated \
      windows at both phases of its stride-2 grid (default: off).
      """) var criticShift: Bool?
    @Option(help: """
      Weight of a term that decodes generated latents with the codec's DEC2 and pushes the jump of its \
      output at each latent-vector boundary down to the change elsewhere (heard as one onset per vector \
      when it is high; see `musika analyze`). Default 0: off. Also applies when resuming: the run \
      continues with the new weight. CPU only for now.
      """) var boundaryWeight: Double?
    @Option(help: """
      Weight of a term on the same DEC2 output that flattens the energy profile inside each latent \
      vector (its 16 level-1 frames), which real music has flat and a generator can arch into one \
      onset per vector. Default 0: off. Also applies when resuming. CPU only for now.
      """) var profileWeight: Double?
    @Option(help: """
      Weight of a term that pushes the latent step across the seam between two generated windows down \
      to the step between neighbours inside them (a jump there is heard at every window boundary; see \
      `musika analyze`'s seam figure). Default 0: off. Also applies when resuming.
      """) var seamWeight: Double?
    @Option(help: """
      Weight of a term that holds the latent power of each generator window's first and last two \
      vectors, and the latent steps around the seam between two windows, to the interior's (quiet or \
      still ends can be heard as a level dip at every window boundary, every 23.8 s for our presets; \
      see `musika analyze`'s power profile, seam step and boundary level). Default 0: off. Also \
      applies when resuming.
      """) var edgeWeight: Double?
    @Option(help: """
      Density-conditioned runs: `crop` (default) trains on each crop's mean density, held along it, as \
      generation asks for one density; `vector` on the per-vector labels, whose steps around every \
      onset the generator learns to follow, then lacks in a stream (one onset per latent vector). Also \
      applies when resuming; runs saved before this option resume with `vector`.
      """) var conditionsPer: ConditionSpan?
    @Option(help: ArgumentHelp("Precision of the convolutions: fp32 (default) or bf16 (mixed precision).",
                               discussion: "bf16 runs the generator's, the critic's and DEC2's convolutions in bfloat16 "
                                 + "through oneDNN (fast on CPUs with AVX-512 BF16 or AMX; slow elsewhere); weights, "
                                 + "gradients, optimiser state and losses stay float32. Also applies when resuming."))
    var precision: TrainingPrecision?
    @Flag(help: """
      Tempo-conditioned runs: give the generator a beat clock (sine and cosine of the beat and bar \
      phase at the asked tempo) beside the tempo channel, so that it can place beats between latent \
      vectors (default: off; a resumed run keeps its own).
      """) var tempoClock = false
    @Flag(help: """
      With --tempo-clock: let the critic see the beat phase too, tracked in the real music (`musika \
      label` writes it for files with a tempo) and the generator's clock for generated music, so that \
      beats off the clock count as fake. Makes the generator follow its clock between latent vectors \
      instead of on whole-vector periods (default: off; a resumed run keeps its own).
      """) var criticBeat = false
    @Option(help: "Stop after this many steps in this run (the rest can be resumed).") var stopAfter: Int?

    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var device: DeviceOption

    func validate() throws {
      if let steps, steps < 1 { throw ValidationError("--steps must be at least 1 (got \(steps)).") }
      if let batch, batch < 1 { throw ValidationError("--batch must be at least 1 (got \(batch)).") }
      if let lr, lr <= 0 { throw ValidationError("--lr must be positive (got \(lr)).") }
      if let r1Every, r1Every < 1 { throw ValidationError("--r1-every must be at least 1 (got \(r1Every)).") }
    }

    func run() throws {
      try TorchRuntime.setThreadCount(runtime.threads)
      let device = try self.device.usable()
      let saved = try GANTrainer.savedConfiguration(output: output)
      // A resumed run keeps its own architecture; these options shape new runs only.
      var gan = saved?.model.gan ?? config.config
      if saved == nil {
        if let upsampling { gan = gan.with(upsampling: upsampling) }
        if let edges { gan = gan.with(edges: edges) }
        if tempoClock {
          guard condition.contains(.tempo) else { throw ValidationError("--tempo-clock needs --condition tempo.") }
          gan.clockChannels = TempoClock.channelCount
        }
        if criticBeat {
          guard tempoClock else { throw ValidationError("--critic-beat needs --tempo-clock (and --condition tempo).") }
          gan.criticClockChannels = TempoClock.beatChannelCount
        }
      }
      report("loading latents from \(data.path)…")
      let corpus = try LatentCorpus(folder: data, minimumVectors: gan.criticVectors, log: report)
      let codec = try loadCodec(recorded: corpus.codecFolder)
      let minutes = Double(corpus.totalVectors * codec.samplesPerVector) / Double(codec.config.sampleRate) / 60
      report(String(format: "%d files, %.1f minutes of music", corpus.items.count, minutes))
      // A new run makes what the data holds: 128 channels for a codec with the original's 64-number
      // vectors, 256 for one trained with `codec train --vector-channels 128`, 512 for the bundled codec's 256.
      if saved == nil {
        gan.latentChannels = corpus.latentChannels
        switch latentScale ?? config.defaultLatentScale {
        case .auto:
          let rms = corpus.latentRMS
          gan.latentScale = rms
          report(String(format: "latent scale %.4f (the RMS of the training latents)", rms))
        case .value(let value): gan.latentScale = value == 1 ? nil : value
        }
      }
      let trainer: GANTrainer
      if let saved {
        if !condition.isEmpty, Set(condition.map(\.rawValue)) != Set(conditionNames(saved.model.conditioning)) {
          throw ValidationError("\(output.path) holds a run conditioned on \(saved.model.conditioning.summary); "
            + "its conditions cannot change on resume (use a new --out).")
        }
        var kept: [String] = []
        trainer = try GANTrainer.resume(output: output, corpus: corpus, codec: codec,
                                        extend: { kept = apply(to: &$0, resuming: true) }, device: device, log: report)
        report("resuming at step \(trainer.step) of \(trainer.options.steps)")
        if !kept.isEmpty {
          report("note: the run keeps \(kept.joined(separator: ", ")) (an exact resume fixes them; "
            + "to change them, start a new --out)")
        }
      } else {
        var options = GANTrainingOptions()
        apply(to: &options, resuming: false)
        let conditioning = try corpus.conditioning(tempo: condition.contains(.tempo), density: condition.contains(.density),
                                                   cropVectors: options.conditionsPerCrop ? gan.criticVectors : nil)
        trainer = try GANTrainer(gan: gan, conditioning: conditioning, codec: codec, options: options, corpus: corpus,
                                 output: output, device: device)
        report("GAN '\(gan.name)': generator \(trainer.generator.parameterCount) and critic "
          + "\(trainer.critic.parameterCount) parameters, \(conditioning.summary); \(options.steps) steps")
      }
      if device != .cpu {
        report("training on \(device) (crops, coordinates and noise are drawn on the CPU, as on any device)")
      }
      if trainer.options.precision == .bf16 { report("convolutions in bf16 (mixed precision)") }
      let bar = ProgressLine()
      StopRequest.install { name in report("\(name): stopping after this step (send it again to stop at once)") }
      try trainer.run(stopAfter: stopAfter, progress: { p in
        let losses = ["critic", "generator", "r1_weight"].compactMap { key in
          p.metrics[key].map { "\(key) \(String(format: "%.3f", $0))" }
        }
        bar.update("step \(p.step)/\(p.totalSteps)  \(losses.joined(separator: "  "))  "
          + String(format: "%.2f steps/s  ETA %@", p.stepsPerSecond, ProgressLine.duration(p.secondsRemaining)),
          force: p.step == p.totalSteps)
      }, log: { bar.log($0) })
      bar.finish()
      print(trainer.modelFolder.path)
    }

    private func conditionNames(_ conditioning: Conditioning) -> [String] {
      (conditioning.tempo == nil ? [] : ["tempo"]) + (conditioning.density == nil ? [] : ["density"])
    }

    private func loadCodec(recorded: URL?) throws -> SpectralCodec {
      if let codecPath { return try CodecOptions(codecPath: codecPath).load() }
      guard let recorded else {
        throw ValidationError("\(data.path) does not record its codec; pass --codec FOLDER (the codec it was encoded with).")
      }
      report("codec: \(recorded.path) (recorded by musika encode)")
      return try CodecOptions(codecPath: recorded.path).load()
    }

    /// Sets the options given on the command line. Those an exact resume fixes are set for a new run
    /// only; on a resume it returns the ones asked for with another value than the run's, as the run
    /// keeps them (the command that started a run may be given again without a note).
    @discardableResult
    private func apply(to options: inout GANTrainingOptions, resuming: Bool) -> [String] {
      if let steps { options.steps = steps }
      if let checkpointEvery { options.checkpointEvery = checkpointEvery }
      if let milestoneEvery { options.milestoneEvery = milestoneEvery }
      if let sampleEvery { options.sampleEvery = sampleEvery }
      if let boundaryWeight { options.boundaryWeight = boundaryWeight }
      if let profileWeight { options.profileWeight = profileWeight }
      if let seamWeight { options.seamWeight = seamWeight }
      if let edgeWeight { options.edgeWeight = edgeWeight }
      if let conditionsPer { options.conditionsPerCrop = conditionsPer == .crop }
      if let precision { options.precision = precision }
      var kept: [String] = []
      func fixed<T: Equatable>(_ given: T?, _ key: WritableKeyPath<GANTrainingOptions, T>, _ name: (T) -> String) {
        guard let given else { return }
        if !resuming { options[keyPath: key] = given } else if given != options[keyPath: key] { kept.append(name(options[keyPath: key])) }
      }
      fixed(batch, \.batchSize) { "--batch \($0)" }
      fixed(lr, \.learningRate) { "--lr \($0)" }
      fixed(seed, \.seed) { "--seed \($0)" }
      fixed(mismatchWeight, \.mismatchWeight) { "--mismatch-weight \($0)" }
      fixed(r1Start, \.r1WeightAtStart) { "--r1-start \($0)" }
      fixed(r1SwitchStep, \.switchStep) { "--r1-switch-step \($0)" }
      fixed(criticShift, \.criticShift) { $0 ? "--critic-shift" : "--no-critic-shift" }
      fixed(r1Every, \.r1Interval) { "--r1-every \($0)" }
      return kept
    }
  }
}

/// What one density label stands for in training (`--conditions-per`).
enum ConditionSpan: String, ExpressibleByArgument, CaseIterable {
  case crop, vector
}
