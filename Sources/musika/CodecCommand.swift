import ArgumentParser
import Audio
import Foundation
import Musika
import Torch

extension MusikaCommand {
  struct Codec: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Train and evaluate spectral codecs (the two-level autoencoder).",
      subcommands: [Train.self, Eval.self, Calibrate.self, Average.self]
    )
  }
}

/// Named codec architectures for `--config`.
enum CodecPreset: String, ExpressibleByArgument, CaseIterable {
  /// The original's full size (28 M parameters): a GPU job.
  case musika44k = "musika-44k"
  /// Half width (7 M): trains on a laptop CPU overnight.
  case small
  /// Quarter width (1.8 M): trains on a 2-core CPU in hours.
  case tiny
  /// 1/16 width: for tests and smoke runs.
  case micro

  var config: CodecConfig {
    switch self {
    case .musika44k: .musika44k
    case .small: CodecConfig.musika44k.scaled(by: 0.5, name: "small")
    case .tiny: CodecConfig.musika44k.scaled(by: 0.25, name: "tiny")
    case .micro: CodecConfig.musika44k.scaled(by: 1.0 / 16, name: "micro")
    }
  }
}

extension MusikaCommand.Codec {
  struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Train a codec on a folder of audio; resumes when OUT_DIR holds a checkpoint.",
      discussion: """
        Stage 1 trains the level-1 autoencoder (ENC + DEC) on log-magnitude L1, a multi-resolution STFT \
        loss on the re-synthesised waveform, and (from --adversarial-start) spectrogram critics with \
        feature matching; stage 2 trains the level-2 autoencoder (ENC2 + DEC2) with level 1 frozen; \
        stage 3 (--decoder-steps, or --decoders-from a trained codec) trains DEC2 and DEC together \
        through both levels with both encoders frozen, so the latents, and GANs trained on them, stay valid. \
        OUT_DIR gets checkpoints/latest/ (also usable as --codec; checkpoints/step-N/ kept every --milestone-every steps), metrics.jsonl, samples/ (WAV + PNG every \
        --sample-every steps) and, at the end, codec/. Interrupt at any time; run the same command again \
        to continue exactly where the last checkpoint left off. Raise --level1-steps/--level2-steps/--decoder-steps \
        on a resume to train longer.
        """
    )

    @Option(help: ArgumentHelp("Folder of training audio (WAV, FLAC, OGG, MP3…, sub-folders too); repeat to combine folders.",
                               discussion: "Every second of audio is equally likely to be drawn, whatever the file lengths. "
                                 + "Resampled audio is cached in ~/.cache/musika/audio ($MUSIKA_CACHE/audio), so a resume loads in seconds."),
            transform: { URL(fileURLWithPath: $0) })
    var audio: [URL]

    @Option(name: .customLong("out"), help: "Output folder.", transform: { URL(fileURLWithPath: $0) })
    var output: URL

    @Option(help: "Architecture: \(CodecPreset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var config: CodecPreset = .tiny

    @Option(help: ArgumentHelp(
      "Sample rate of the codec in Hz (default: 44100).",
      discussion: "The architecture and STFT (1024/256) stay; at 22050 every frame spans twice the time, so a CPU "
        + "trains on twice the music per step, the GAN's windows last 23.8 s and decoding is twice as fast, "
        + "for audio up to 11 kHz."))
    var sampleRate: Int?

    @Option(help: ArgumentHelp(
      "Start from the level 1 (ENC + DEC) of this trained codec folder and train level 2 only.",
      discussion: "The architecture and rate come from that codec; with --level2-scale the level-2 widths change."),
      transform: { URL(fileURLWithPath: $0) })
    var level1From: URL?

    @Option(help: ArgumentHelp(
      "Start from this whole trained codec folder and train its decoders only (stage 3; default 8000 steps).",
      discussion: "DEC2 and DEC learn together through both levels against the audio itself; ENC and ENC2 stay "
        + "frozen, so the codec encodes to exactly the same latents (and keeps its name) and GANs trained on them "
        + "need no retraining: copy the new codec into their model folders' codec/, then calibrate it (musika codec "
        + "calibrate) and check the model's level (musika export --gain-db)."),
      transform: { URL(fileURLWithPath: $0) })
    var decodersFrom: URL?

    @Option(help: ArgumentHelp(
      "Start from all the weights of this trained codec folder and train every stage again as the step options say.",
      discussion: "Level 1 trained further changes the latents, so the result is a new codec (its name gets "
        + "'-retrained'): data encoded with the old one must be encoded again, and GANs retrained. The architecture, "
        + "rate and spectrogram normalisation come from that codec; --latent-channels, --vector-channels and --level2-scale "
        + "may widen it (its new channels start unused)."),
      transform: { URL(fileURLWithPath: $0) })
    var initFrom: URL?

    @Option(help: ArgumentHelp("How DEC's phase output is read: absolute (the original's) or advance (instantaneous frequency, summed over frames).",
                               discussion: "With 'absolute', tones lying between two STFT bins come back pulled to a bin centre (up to "
                                 + "half a bin off; see the mid-bin probe of 'codec eval'). Fixed at the start of a run."))
    var phase: PhaseRepresentation?
    @Option(help: ArgumentHelp("The quietest level the codec reproduces, in dB below a full-scale sine (new runs).",
                               discussion: "Sets the spectrogram normalisation (μ, σ) so that DEC's output range covers this "
                                 + "many dB below a full-scale sine and 6 dB above it. The original's μ −25, σ 75 (the default) "
                                 + "reach about 148 dB down, where nothing is heard. Fixed at the start of a run."))
    var floorDb: Double?
    @Option(help: ArgumentHelp("Width of ENC2 and DEC2 as a fraction of musika-44k's (e.g. 0.5), whatever --config says.",
                               discussion: "New runs, --level1-from, or --init-from, whose level 2 is then widened: its new "
                                 + "channels start unused (read through weights at zero), so training starts from its exact output."))
    var level2Scale: Double?
    @Option(help: ArgumentHelp(
      "Size of a level-2 vector per channel (default 64, the original's; new runs, or with --level1-from or --init-from).",
      discussion: "Level 2 packs 16 level-1 frames into one vector: 64 numbers per vector is the original's "
        + "compression, 128 halves it (as the original's 22 kHz codec, whose vectors span half the time). "
        + "The GANs trained on such a codec make twice as many latent channels. With --init-from, wider vectors "
        + "start from that codec's level 2 the way --latent-channels starts level 1."))
    var vectorChannels: Int?

    @Option(help: ArgumentHelp(
      "Size of a level-1 latent per frame and channel (default 64, the original's at 44.1 kHz; new runs, or with --init-from).",
      discussion: "The original's 22 kHz codec keeps 128. With --init-from a wider latent starts from that codec's "
        + "weights: the new channels start unused (the decoders read them through weights at zero), so training starts "
        + "from the trained codec's exact output and level 2 follows the new latent (a new codec: encode again, retrain GANs)."))
    var latentChannels: Int?

    @Option(help: "Level-1 (ENC + DEC) steps.") var level1Steps: Int?
    @Option(help: "Level-2 (ENC2 + DEC2) steps.") var level2Steps: Int?
    @Option(help: "Stage-3 steps: DEC2 + DEC through both levels, encoders frozen (default 0; 8000 with --decoders-from).")
    var decoderSteps: Int?
    @Option(help: "Excerpts per step.") var batch: Int?
    @Option(help: "Learning rate of the autoencoders.") var lr: Double?
    @Option(help: "Level-1 step at which the adversarial losses start (may be changed on resume).") var adversarialStart: Int?
    @Option(help: "Steps between checkpoints.") var checkpointEvery: Int?
    @Option(help: "Steps between milestone checkpoints kept for good (checkpoints/step-N).") var milestoneEvery: Int?
    @Option(help: "Steps between audio/spectrogram samples.") var sampleEvery: Int?
    @Option(help: "Seed of initialisation, excerpts and noise.") var seed: UInt64?
    @Option(help: "Stop after this many steps in this run (the rest can be resumed).") var stopAfter: Int?
    @Option(help: ArgumentHelp("Precision of the convolutions: fp32 or bf16 (mixed precision; fixed at the start of a run).",
                               discussion: "bf16 runs the convolutions in bfloat16 through oneDNN (fast on CPUs with "
                                 + "AVX-512 BF16 or AMX); weights, gradients, optimiser and losses stay float32."))
    var precision: TrainingPrecision?
    @Option(help: ArgumentHelp("What level 2's magnitude term compares with: spectrogram (the input's, default) or level1 (DEC's output through the true level-1 latents).",
                               discussion: "With 'spectrogram', level 2 learns to reproduce the audio itself and may correct level 1's errors."))
    var level2Target: String?
    @Option(help: ArgumentHelp("Weight of the log-mel L1 on the decoders' magnitude (default 0: off).",
                               discussion: "The measure codec eval reports; it weighs the low bands, where pitch is heard, "
                                 + "as the ear does, where the linear-bin L1 spends most of its weight above 4 kHz."))
    var melWeight: Double?
    @Option(help: ArgumentHelp("Weight of level 1's multi-resolution STFT loss on the re-synthesised waveform (default 1; new runs).",
                               discussion: "The only term that trains DEC's phase head. 0 drops it: a codec that takes its "
                                 + "phase from the magnitude (the bundled one) then trains DEC's magnitude path alone, "
                                 + "faster, on the magnitude terms (with --mel-weight), until the adversarial stage."))
    var stftWeight: Double?
    @Option(help: ArgumentHelp("Weight of the phase-advance (instantaneous frequency) loss on DEC's phase (default 0: off).",
                               discussion: "Compares the phase advance per frame of the decoder's output with the input's, "
                                 + "weighted by magnitude: the term that keeps tones lying between two STFT bins in tune."))
    var phaseAdvanceWeight: Double?
    @Option(help: "Weight of the group-delay loss (phase step across bins) on DEC's phase (default 0: off).")
    var groupDelayWeight: Double?

    @OptionGroup var runtime: RuntimeOptions

    /// The options given that would change a codec's architecture or signal constants (which a codec to
    /// start from fixes).
    private var architectureOptionsGiven: [String] {
      [(sampleRate != nil, "--sample-rate"), (phase != nil, "--phase"), (floorDb != nil, "--floor-db"),
       (level2Scale != nil, "--level2-scale")].filter(\.0).map(\.1)
    }

    func validate() throws {
      if audio.isEmpty { throw ValidationError("--audio: give at least one folder of training audio.") }
      if let level2Target, !["spectrogram", "level1"].contains(level2Target) {
        throw ValidationError("--level2-target must be spectrogram or level1 (got '\(level2Target)').")
      }
      if let level2Scale, !(0.01...2).contains(level2Scale) {
        throw ValidationError("--level2-scale must be between 0.01 and 2 (got \(level2Scale)); 0.25 is tiny's, 1 the original's.")
      }
      let starts = [(decodersFrom, "--decoders-from"), (level1From, "--level1-from"), (initFrom, "--init-from")]
        .filter { $0.0 != nil }.map(\.1)
      if starts.count > 1 {
        throw ValidationError("\(starts.joined(separator: " and ")) \(starts.count == 2 ? "both" : "all") name a codec to start from: give one.")
      }
      // --level2-scale may widen the level-2 networks of the codec given by --init-from (`CodecWidening`).
      if initFrom != nil, let name = architectureOptionsGiven.first(where: { $0 != "--level2-scale" }) {
        throw ValidationError("\(name) cannot change the codec given by --init-from: its weights fix the architecture and signal constants.")
      }
      if let stftWeight, !(stftWeight >= 0 && stftWeight.isFinite) {
        throw ValidationError("--stft-weight must be 0 or more (got \(stftWeight)).")
      }
      if decodersFrom != nil, let name = ([(level1Steps != nil, "--level1-steps"), (level2Steps != nil, "--level2-steps"),
                                             (vectorChannels != nil, "--vector-channels")]
                                             .filter(\.0).map(\.1) + architectureOptionsGiven).first {
        throw ValidationError("\(name) cannot change the codec given by --decoders-from: its encoders, and so its latents, stay as they are.")
      }
      if let decoderSteps, decoderSteps < (decodersFrom == nil ? 0 : 1) {
        throw ValidationError("--decoder-steps must be \(decodersFrom == nil ? "0 or more" : "at least 1 with --decoders-from") (got \(decoderSteps)).")
      }
      if level1From != nil, phase != nil {
        throw ValidationError("--phase cannot change the codec given by --level1-from: its DEC was trained with its own.")
      }
      if let floorDb, !(40...160).contains(floorDb) {
        throw ValidationError("--floor-db must be between 40 and 160 dB (got \(floorDb)); 100 reaches below 16-bit audio's noise.")
      }
      if level1From != nil, floorDb != nil {
        throw ValidationError("--floor-db cannot change the codec given by --level1-from: its level 1 was trained with its own.")
      }
      if level1From != nil, sampleRate != nil {
        throw ValidationError("--sample-rate cannot change the codec given by --level1-from: the rate is part of its level 1.")
      }
      if let latentChannels, !(1...1024).contains(latentChannels) {
        throw ValidationError("--latent-channels must be between 1 and 1024 (got \(latentChannels)); 64 is the original's.")
      }
      if latentChannels != nil, decodersFrom != nil || level1From != nil {
        throw ValidationError("--latent-channels cannot change the level 1 of the codec given by "
          + "\(decodersFrom != nil ? "--decoders-from" : "--level1-from"); start from it with --init-from to widen its latent.")
      }
      if let vectorChannels, !(1...1024).contains(vectorChannels) {
        throw ValidationError("--vector-channels must be between 1 and 1024 (got \(vectorChannels)); 64 is the original's.")
      }
      if let sampleRate, !(8_000...96_000).contains(sampleRate) {
        throw ValidationError("--sample-rate must be between 8000 and 96000 Hz (got \(sampleRate)); 44100 or 22050 are usual.")
      }
    }

    func run() throws {
      try TorchRuntime.setThreadCount(runtime.threads)
      let savedConfig = try CodecTrainer.savedConfig(output: output)
      let resuming = savedConfig != nil
      var options = CodecTrainingOptions()
      apply(to: &options, resuming: false)
      var preset = config.config
      if let sampleRate { preset.sampleRate = sampleRate }
      if let phase { preset = preset.withPhase(phase) }
      if let floorDb { preset = preset.withFloor(decibelsBelowFullScale: floorDb) }
      let adopted = try level1From.map { try SpectralCodec.load(from: $0) }
      let whole = try decodersFrom.map { try SpectralCodec.load(from: $0) }
      let initial = try initFrom.map { try SpectralCodec.load(from: $0) }
      if let initial {
        guard !resuming else {
          throw ValidationError("\(output.path) already holds a run; --init-from starts a new one (use another --out, "
            + "or leave --init-from out to resume it).")
        }
        preset = initial.config
        preset.name = initial.config.name + "-retrained"
      }
      if let whole, !resuming {  // on a resume, the checkpoint holds the weights and the options
        // The same name: it encodes to the same latents, so datasets encoded with either take files from both.
        preset = whole.config
        options.level1Steps = 0
        options.level2Steps = 0
        options.decoderSteps = decoderSteps ?? 8000
      }
      if let adopted {
        guard !resuming else {
          throw ValidationError("\(output.path) already holds a run; --level1-from starts a new one (use another --out).")
        }
        preset = adopted.config
        preset.name = adopted.config.name + "+level2"
        options.level1Steps = 0
      }
      if let level2Scale {
        let scaled = CodecConfig.musika44k.scaled(by: level2Scale, name: "")
        if (scaled.latentEncoderWidths, scaled.latentDecoderWidths) != (preset.latentEncoderWidths, preset.latentDecoderWidths) {
          preset.latentEncoderWidths = scaled.latentEncoderWidths
          preset.latentDecoderWidths = scaled.latentDecoderWidths
          preset.name += String(format: "-l2x%g", level2Scale)
        }
      }
      if let latentChannels, latentChannels != preset.latentChannels {
        preset.latentChannels = latentChannels
        preset.name += "-l\(latentChannels)"
      }
      if let vectorChannels, vectorChannels != preset.vectorChannels {
        preset.vectorChannels = vectorChannels
        preset.name += "-v\(vectorChannels)"
      }
      // From a trained codec, a latent or a level-2 network can only grow (`CodecWidening`), and its new
      // channels are random until the stage that makes them trains: level 1 for the level-1 latent (else
      // DEC2 and level 2 would learn to carry noise), level 2 for the vectors and ENC2's and DEC2's widths.
      if let initial, let initFrom, savedConfig == nil {
        let list = { (widths: [Int]) in widths.map(String.init).joined(separator: ", ") }
        let widenable: [(option: String, widths: (CodecConfig) -> [Int], show: (CodecConfig) -> String, steps: Int, stage: Int)] = [
          ("--latent-channels", { [$0.latentChannels] }, { "\($0.latentChannels)" }, options.level1Steps, 1),
          ("--vector-channels", { [$0.vectorChannels] }, { "\($0.vectorChannels)" }, options.level2Steps, 2),
          ("--level2-scale", { $0.latentEncoderWidths + $0.latentDecoderWidths },
           { "ENC2 \(list($0.latentEncoderWidths)); DEC2 \(list($0.latentDecoderWidths))" }, options.level2Steps, 2),
        ]
        for (option, widths, show, steps, stage) in widenable {
          let (ours, theirs) = (widths(preset), widths(initial.config))
          if zip(ours, theirs).contains(where: { $0 < $1 }) {
            throw ValidationError("\(option): a codec can only be widened (\(initFrom.path) has \(show(initial.config)) "
              + "where this asks for \(show(preset))).")
          }
          if ours != theirs, steps == 0 {
            throw ValidationError("\(option) widens level \(stage), which then needs --level\(stage)-steps above 0.")
          }
        }
      }
      if let savedConfig, let latentChannels, latentChannels != savedConfig.latentChannels {
        throw ValidationError("--latent-channels \(latentChannels): the run in \(output.path) was started with "
          + "\(savedConfig.latentChannels), which its checkpoint fixes (use another --out for a new run).")
      }
      if let savedConfig, let vectorChannels, vectorChannels != savedConfig.vectorChannels {
        throw ValidationError("--vector-channels \(vectorChannels): the run in \(output.path) was started with "
          + "\(savedConfig.vectorChannels), which its checkpoint fixes (use another --out for a new run).")
      }
      if let savedConfig { preset = savedConfig }  // the checkpoint fixes the architecture and rate
      report("loading audio from \(audio.map(\.path).joined(separator: ", "))…")
      let corpus = try AudioCorpus(folders: audio, sampleRate: preset.sampleRate,
                                   minimumSamples: STFT(nFFT: preset.nFFT, hop: preset.hop)
                                     .sampleCount(frames: max(options.level1Frames, options.level2Vectors * 16)),
                                   log: report)
      report(String(format: "%d files, %.1f minutes of audio", corpus.items.count, corpus.totalSeconds / 60))
      let trainer: CodecTrainer
      if resuming {
        trainer = try CodecTrainer.resume(output: output, corpus: corpus, extend: { apply(to: &$0, resuming: true) },
                                          log: report)
        if decodersFrom != nil, trainer.options.level1Steps + trainer.options.level2Steps > 0 {
          throw ValidationError("\(output.path) holds a run that trains its encoders too, not one started with "
            + "--decoders-from (use another --out).")
        }
        report("resuming at step \(trainer.step) of \(trainer.options.totalSteps)")
      } else {
        trainer = try CodecTrainer(config: preset, options: options, corpus: corpus, output: output)
        if let adopted, let level1From {
          try trainer.adoptLevel1(from: adopted)
          report("level 1 from \(level1From.path) (frozen); training level 2 only")
        }
        if let initial, let initFrom {
          try trainer.start(from: initial)
          report("all weights from \(initFrom.path); training it again (new latents)")
        }
        if let whole, let decodersFrom {
          try trainer.adoptCodec(from: whole)
          report("codec from \(decodersFrom.path): encoders frozen (its latents stay the same); training DEC2 + DEC")
        }
        report("codec '\(preset.name)': \(trainer.codec.parameterCount) parameters; \(options.totalSteps) steps")
      }
      let bar = ProgressLine()
      StopRequest.install { name in report("\(name): stopping after this step (send it again to stop at once)") }
      try trainer.run(stopAfter: stopAfter, progress: { p in
        let losses = p.metrics.keys.sorted().filter { $0.hasSuffix("total") || $0.hasSuffix("stft") || $0.hasSuffix("l1") || $0.hasSuffix("phase_advance") }
          .map { "\($0.split(separator: "/").last!) \(String(format: "%.4f", p.metrics[$0]!))" }
        let stage = ["", "level 1", "level 2", "decoders"][CodecTrainer.stage(ofStep: max(p.step - 1, 0), trainer.options)]
        bar.update("\(stage)  step \(p.step)/\(p.totalSteps)  \(losses.joined(separator: "  "))  "
          + String(format: "%.2f steps/s  ETA %@", p.stepsPerSecond, ProgressLine.duration(p.secondsRemaining)),
          force: p.step == p.totalSteps)
      }, log: { bar.log($0) })
      bar.finish()
      print(trainer.step >= trainer.options.totalSteps ? output.appendingPathComponent("codec").path
              : trainer.checkpoints.latest.path)
    }

    private func apply(to options: inout CodecTrainingOptions, resuming: Bool) {
      if let level1Steps { options.level1Steps = level1Steps }
      if let level2Steps { options.level2Steps = level2Steps }
      if let decoderSteps { options.decoderSteps = decoderSteps }
      if let checkpointEvery { options.checkpointEvery = checkpointEvery }
      if let milestoneEvery { options.milestoneEvery = milestoneEvery }
      if let sampleEvery { options.sampleEvery = sampleEvery }
      // May change on resume too: to postpone (or skip, with a value past --level1-steps) the
      // adversarial stage, which costs several times the reconstruction losses on a CPU.
      if let adversarialStart { options.adversarialStart = adversarialStart }
      guard !resuming else { return }  // the rest is fixed by the checkpoint, for an exact resume
      if let batch { options.batchSize = batch }
      if let lr { options.learningRate = lr; options.discriminatorLearningRate = lr }
      if let seed { options.seed = seed }
      if let precision { options.precision = precision }
      if let level2Target { options.level2MagnitudeTarget = level2Target }
      if let melWeight { options.melWeight = melWeight }
      if let stftWeight { options.stftWeight = stftWeight }
      if let phaseAdvanceWeight { options.phaseAdvanceWeight = phaseAdvanceWeight }
      if let groupDelayWeight { options.groupDelayWeight = groupDelayWeight }
    }
  }
}

/// One status line on a terminal (rewritten in place), or a line every few seconds in a log file.
final class ProgressLine {
  private let isTerminal = isatty(STDERR_FILENO) != 0
  private var lastPrint = Date.distantPast
  private var width = 0

  func update(_ text: String, force: Bool = false) {
    let now = Date()
    if isTerminal {
      guard force || now.timeIntervalSince(lastPrint) > 0.1 else { return }
      let padded = text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0)
      FileHandle.standardError.write(Data(("\r" + padded).utf8))
      width = text.count
    } else {
      guard force || now.timeIntervalSince(lastPrint) > 10 else { return }
      FileHandle.standardError.write(Data((text + "\n").utf8))
    }
    lastPrint = now
  }

  func log(_ message: String) {
    if isTerminal && width > 0 { FileHandle.standardError.write(Data("\n".utf8)); width = 0 }
    report(message)
  }

  func finish() {
    if isTerminal && width > 0 { FileHandle.standardError.write(Data("\n".utf8)) }
  }

  static func duration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds)
    return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" : "\(s / 60)m\(String(format: "%02d", s % 60))s"
  }
}

extension PhaseRepresentation: ExpressibleByArgument {}
