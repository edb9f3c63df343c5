import Audio
import Foundation
import Torch

/// Trains a `SpectralCodec` (`musika codec train`). The original's autoencoder training was never
/// published; this is our recipe, in two stages:
///
/// 1. Level 1 (ENC + DEC) on mono excerpts: L1 between the decoder's and the input's normalised
///    log-magnitude, plus a multi-resolution STFT loss on the waveform re-synthesised from the
///    predicted magnitude and phase (the only signal that teaches the phase head), plus — from
///    `adversarialStart` — hinge losses from spectrogram critics at three resolutions and feature
///    matching against them.
///    Optionally (`phaseAdvanceWeight`, `groupDelayWeight`) the phase head also learns the input's
///    phase differences along time and frequency directly (`PhaseDerivativeLoss`), and at level 2
///    the same terms on DEC's phase through the rebuilt latents train ENC2 and DEC2.
/// 2. Level 2 (ENC2 + DEC2) with level 1 frozen: L1 between reconstructed and true level-1 latents,
///    plus L1 between DEC's magnitudes from the reconstructed and the true latents.
/// 3. Optionally (`decoderSteps`) the decoders alone: DEC2 and DEC together, on the same losses through
///    both levels against the input's own log-magnitude, with ENC and ENC2 frozen. The latents stay
///    exactly what they were, so GANs trained on them decode better without being retrained.
///
/// Every random choice of step k (excerpts, noise) derives from (seed, k), so a checkpoint needs only
/// weights, optimiser states and k to resume exactly where an uninterrupted run would be.
public final class CodecTrainer: TrainingTask {
  static let discriminatorFile = "discriminator.safetensors"

  struct State: Codable {
    var formatVersion = 1
    var step: Int
    var options: CodecTrainingOptions
    var learningRate: Double
    var discriminatorLearningRate: Double
    var elapsedSeconds: Double
  }

  public let codec: SpectralCodec
  public private(set) var options: CodecTrainingOptions
  public let output: URL
  public private(set) var step = 0
  let corpus: AudioCorpus
  let discriminator: MultiResolutionDiscriminator
  let level1Optimizer: Adam
  let level2Optimizer: Adam
  let decoderOptimizer: Adam
  let discriminatorOptimizer: Adam
  private let stftLoss = MultiResolutionSTFTLoss()
  private let melLoss: LogMelLoss
  private let phaseLoss = PhaseDerivativeLoss()
  private var elapsedBefore: Double = 0
  public let checkpoints: CheckpointStore
  public var totalSteps: Int { options.totalSteps }
  public var schedule: TrainingSchedule { options.schedule }

  /// A new training run (the output folder must not hold a checkpoint yet).
  public init(config: CodecConfig, options: CodecTrainingOptions, corpus: AudioCorpus, output: URL) throws {
    try options.validate()
    // Training changes what the decoders lose, so an output equalisation measured before it no longer
    // fits: the trained codec has none until `musika codec calibrate` measures a new one.
    var config = config
    config.equalizationDb = nil
    codec = try SpectralCodec(config: config)
    // Its samples must let one hear the phase head being trained, whatever the config decodes with.
    codec.phaseSource = .decoder
    self.options = options
    self.corpus = corpus
    self.output = output
    checkpoints = CheckpointStore(run: output, kind: "codec")
    melLoss = LogMelLoss(frontEnd: codec.frontEnd, sampleRate: config.sampleRate)
    discriminator = MultiResolutionDiscriminator(width: options.discriminatorWidth)
    codec.initialize(seed: options.seed)
    discriminator.initialize(seed: Seed.derive(options.seed, ["discriminator"]))
    codec.setComputeDType(options.precision.computeDType)
    discriminator.setComputeDType(options.precision.computeDType)
    let params = codec.namedParameters()
    func group(_ prefixes: [String]) -> [(String, Tensor)] {
      params.filter { name, _ in prefixes.contains { name.hasPrefix($0) } }
    }
    level1Optimizer = Adam(parameters: group(["encoder.", "decoder."]), learningRate: options.learningRate,
                           beta1: options.beta1, beta2: options.beta2)
    level2Optimizer = Adam(parameters: group(["latentEncoder.", "latentDecoder."]), learningRate: options.learningRate,
                           beta1: options.beta1, beta2: options.beta2)
    decoderOptimizer = Adam(parameters: group(["latentDecoder.", "decoder."]), learningRate: options.learningRate,
                            beta1: options.beta1, beta2: options.beta2)
    discriminatorOptimizer = Adam(discriminator, learningRate: options.discriminatorLearningRate,
                                  beta1: options.beta1, beta2: options.beta2)
  }

  /// Continues the run saved in `output/checkpoints` (its newest intact checkpoint); `extend` may
  /// raise the step totals.
  public static func resume(output: URL, corpus: AudioCorpus, extend: (inout CodecTrainingOptions) -> Void = { _ in },
                            log: (String) -> Void = { _ in }) throws -> CodecTrainer {
    let folder = try CheckpointStore(run: output, kind: "codec").folderToResume(log: log)
    let state = try TrainerStateFiles.readState(State.self, in: folder)
    var options = state.options
    extend(&options)
    // Step totals may change on a resume, but never so that the run goes back to an earlier stage: that
    // would train networks that later stages were trained on top of (the frozen encoders of a stage-3
    // run above all, whose latents must not change).
    if state.step > 0 {
      let last = stage(ofStep: state.step - 1, state.options), next = stage(ofStep: state.step, options)
      if next < last {
        throw MusikaError.invalidInput("\(output.path) has trained \(state.step) steps, the last in stage \(last); "
          + "with these step totals its next step would go back to stage \(next). A stage already passed cannot "
          + "grow (use another --out for a new run).")
      }
    }
    let config = try readConfig(folder)
    let trainer = try CodecTrainer(config: config, options: options, corpus: corpus, output: output)
    trainer.elapsedBefore = try trainer.restoreCheckpoint(from: folder)
    return trainer
  }

  /// The architecture of a saved run (to learn it before resuming).
  public static func savedConfig(output: URL) throws -> CodecConfig? {
    let store = CheckpointStore(run: output, kind: "codec")
    guard store.exists else { return nil }
    return try readConfig(store.folderToResume())
  }

  private static func readConfig(_ folder: URL) throws -> CodecConfig {
    let url = folder.appendingPathComponent(SpectralCodec.configFile)
    do {
      return try JSONDecoder().decode(CodecConfig.self, from: Data(contentsOf: url))
    } catch {
      throw MusikaError.invalidInput("\(url.path) is missing or damaged (\(error)); delete the run folder to start over")
    }
  }

  /// Starts this (new) run at level 2 on the encoder and decoder of a trained codec, which stay
  /// frozen as in stage 2: a wider or longer level 2 is then trained without repeating level 1.
  /// Needs `options.level1Steps == 0` and the same level-1 architecture and signal constants.
  public func adoptLevel1(from trained: SpectralCodec) throws {
    let a = codec.config, b = trained.config
    guard options.level1Steps == 0, step == 0 else {
      throw MusikaError.invalidConfig("a run that adopts a trained level 1 trains level 2 only (level-1 steps 0) and starts fresh")
    }
    guard a.sampleRate == b.sampleRate, a.nFFT == b.nFFT, a.hop == b.hop, a.mu == b.mu, a.sigma == b.sigma,
          a.phase == b.phase, a.latentChannels == b.latentChannels, a.encoderWidth == b.encoderWidth, a.decoderWidths == b.decoderWidths else {
      throw MusikaError.invalidConfig("codec '\(b.name)' has another level-1 architecture or signal constants than '\(a.name)'")
    }
    let level1 = trained.stateDict().filter { $0.key.hasPrefix("encoder.") || $0.key.hasPrefix("decoder.") }
    try withNoGrad { try codec.load(level1, strict: false) }
    codec.train()
  }

  /// Starts this (new) run from all the weights of a trained codec of the same architecture and signal
  /// constants, every stage training as the options say: level 1 trained further moves the latents, so
  /// level 2 (starting from the trained one) follows it, and the result is a new codec (GANs trained on
  /// the old one's latents need re-encoded data and retraining).
  /// This run's codec may be wider than `trained` (`CodecWidening`: the latents of either level, the level-2
  /// networks): it then starts from `trained`'s exact output, the new channels unused until training uses them.
  public func start(from trained: SpectralCodec) throws {
    guard step == 0 else { throw MusikaError.invalidConfig("only a new run can start from a trained codec") }
    try loadAllWeights(of: trained, widening: true)
  }

  /// Starts this (new) run at stage 3 on all four networks of a trained codec: its decoders are
  /// trained further, its encoders stay frozen (so its latents, and GANs trained on them, stay valid).
  /// Needs `options.level1Steps == 0`, `options.level2Steps == 0` and the same architecture.
  public func adoptCodec(from trained: SpectralCodec) throws {
    guard options.level1Steps == 0, options.level2Steps == 0, step == 0 else {
      throw MusikaError.invalidConfig("a run that adopts a whole trained codec trains its decoders only (level-1 and level-2 steps 0) and starts fresh")
    }
    try loadAllWeights(of: trained)
  }

  /// Every weight of `trained`, whose architecture and signal constants must be this run's (its name and
  /// decoding settings may differ: this run's codec has no equalisation until calibrated).
  /// With `widening`, this run's latents and level-2 networks may be wider than `trained`'s.
  private func loadAllWeights(of trained: SpectralCodec, widening: Bool = false) throws {
    var theirs = trained.config.networks
    let ours = codec.config.networks
    if widening {
      (theirs.latentChannels, theirs.vectorChannels) = (ours.latentChannels, ours.vectorChannels)
      (theirs.latentEncoderWidths, theirs.latentDecoderWidths) = (ours.latentEncoderWidths, ours.latentDecoderWidths)
    }
    guard theirs == ours else {
      throw MusikaError.invalidConfig("codec '\(trained.config.name)' has another architecture or signal constants than '\(codec.config.name)'")
    }
    var weights = trained.stateDict()
    if widening { weights = try CodecWidening.widen(weights, into: codec) }
    try withNoGrad { try codec.load(weights) }
    codec.train()
  }

  /// Loads weights, critic, optimiser states, learning rates and the step from a checkpoint folder
  /// into this trainer, in place (resume and divergence roll-back); returns the training time it had.
  public func restoreCheckpoint(from folder: URL) throws -> Double {
    let state = try TrainerStateFiles.readState(State.self, in: folder)
    try withNoGrad {
      try codec.load(Safetensors.read(folder.appendingPathComponent(SpectralCodec.weightsFile)).tensors)
      try discriminator.load(Safetensors.read(folder.appendingPathComponent(Self.discriminatorFile)).tensors)
    }
    // Checkpoints from before stage 3 existed lack its optimiser; if the run never reached that stage,
    // a fresh state is what an uninterrupted run would have.
    let reachedStage3 = state.step > state.options.level1Steps + state.options.level2Steps
    try TrainerStateFiles.loadOptimizers(namedOptimizers, from: folder, mayLack: reachedStage3 ? [] : ["decoders"])
    level1Optimizer.learningRate = state.learningRate
    level2Optimizer.learningRate = state.learningRate
    decoderOptimizer.learningRate = state.learningRate
    discriminatorOptimizer.learningRate = state.discriminatorLearningRate
    step = state.step
    codec.train()
    return state.elapsedSeconds
  }

  private var namedOptimizers: [(String, Adam)] {
    [("level1", level1Optimizer), ("level2", level2Optimizer), ("decoders", decoderOptimizer),
     ("discriminator", discriminatorOptimizer)]
  }

  public var stage: Int { Self.stage(ofStep: step, options) }

  /// The stage that trains step `step` (0-based): 1, 2 or 3.
  public static func stage(ofStep step: Int, _ options: CodecTrainingOptions) -> Int {
    step < options.level1Steps ? 1 : step < options.level1Steps + options.level2Steps ? 2 : 3
  }

  // MARK: One step

  /// Trains one step and returns its losses by name.
  public func trainStep() throws -> [String: Double] {
    let metrics = stage == 1 ? try level1Step() : try level2Step(decodersOnly: stage == 3)
    for (name, value) in metrics where !value.isFinite {
      throw MusikaError.trainingDiverged(step: step, metric: name, value: value)
    }
    step += 1
    return metrics
  }

  /// Whether the phase terms (phase advance, group delay) read DEC's phase head, at every stage.
  private var trainsPhase: Bool { options.phaseAdvanceWeight > 0 || options.groupDelayWeight > 0 }

  /// Whether a level-1 step reads DEC's phase head: the waveform terms (STFT loss, critics) and the
  /// phase terms do; the magnitude terms alone do not.
  private var needsPhaseHeadInLevel1: Bool { options.stftWeight > 0 || step >= options.adversarialStart || trainsPhase }

  private var stepGenerator: Generator { Generator(seed: options.seed, "data", .int(step)) }

  private func level1Step() throws -> [String: Double] {
    let stft = codec.frontEnd.stft
    let length = stft.sampleCount(frames: options.level1Frames)
    let x = corpus.excerpts(count: options.batchSize, length: length, generator: stepGenerator)  // (B, L)
    let noise = NoiseSource(seed: Seed.derive(options.seed, ["noise", .int(step)]))
    let spectrum = try stft(x)  // complex (B, bins, frames)
    let target = codec.frontEnd.normalizedLogMagnitude(spectrum)
    let latents = codec.encoder(target)
    // Without the waveform terms (the STFT loss, the critics) and the phase terms nothing reads DEC's
    // phase head: a codec whose phase comes from its magnitude then trains DEC's magnitude path alone,
    // without the head's work, the synthesis and the STFTs of the loss.
    let (magnitude, phase) = codec.decoder.unclipped(latents, noise: noise, phaseHead: needsPhaseHeadInLevel1)
    let magnitudeLoss = (magnitude - target).abs().mean()
    var loss = magnitudeLoss * options.magnitudeWeight
    var metrics = ["level1/magnitude_l1": magnitudeLoss.item()]
    // The waveform re-synthesised with DEC's phase, for the STFT loss and the critics.
    var y: Tensor?
    if let phase {
      let synthesized = try codec.synthesize(magnitude: magnitude, phase: phase, clipPhase: false, source: .decoder)  // (B, L)
      // The first and last nFFT − hop samples are not fully overlapped by the inverse STFT.
      let edge = stft.nFFT - stft.hop
      let interior = { (t: Tensor) in t.narrow(dim: 1, start: edge, length: length - 2 * edge) }
      if options.stftWeight > 0 {
        let spectralLoss = stftLoss(interior(synthesized), interior(x))
        loss = loss + spectralLoss * options.stftWeight
        metrics["level1/stft"] = spectralLoss.item()
      }
      y = synthesized
    }
    if options.melWeight > 0 {
      let mel = melLoss(magnitude.clamp(min: -1, max: 1), target)
      loss = loss + mel * options.melWeight
      metrics["level1/log_mel_l1"] = mel.item()
    }
    if let phase, trainsPhase {
      let (advance, groupDelay) = phaseLoss(predicted: codec.phaseAngles(phase, clip: false).angles, target: spectrum)
      loss = loss + advance * options.phaseAdvanceWeight + groupDelay * options.groupDelayWeight
      metrics["level1/phase_advance"] = advance.item()
      metrics["level1/group_delay"] = groupDelay.item()
    }

    if step >= options.adversarialStart, let y {
      // Critic update on the detached reconstruction.
      discriminatorOptimizer.zeroGrad()
      let real = discriminator(x)
      let fake = discriminator(y.detach())
      var criticLoss: Tensor?
      for (r, f) in zip(real, fake) {
        let term = (1 - r.logits).relu().mean() + (1 + f.logits).relu().mean()
        criticLoss = criticLoss.map { $0 + term } ?? term
      }
      let dLoss = criticLoss! / Double(real.count)
      dLoss.backward()
      try discriminatorOptimizer.update()
      // Generator terms against the updated critics.
      let realFeatures = withNoGrad { discriminator(x).map(\.features) }
      var adversarial: Tensor?
      var matching: Tensor?
      // The critics frozen: their weight gradients from these terms would be zeroed before their next update.
      for (f, features) in zip(discriminator.frozen { discriminator(y) }, realFeatures) {
        let a = -f.logits.mean()
        adversarial = adversarial.map { $0 + a } ?? a
        for (ff, rf) in zip(f.features, features) {
          let m = (ff - rf).abs().mean()
          matching = matching.map { $0 + m } ?? m
        }
      }
      let adv = adversarial! / Double(real.count)
      let fm = matching! / Double(realFeatures.reduce(0) { $0 + $1.count })
      loss = loss + adv * options.adversarialWeight + fm * options.featureMatchingWeight
      metrics["level1/critic"] = dLoss.item()
      metrics["level1/adversarial"] = adv.item()
      metrics["level1/feature_matching"] = fm.item()
    }
    level1Optimizer.zeroGrad()
    loss.backward()
    try level1Optimizer.update()
    metrics["level1/total"] = loss.item()
    return metrics
  }

  /// Stage 2 (ENC2 + DEC2 learn) or, `decodersOnly`, stage 3 (DEC2 + DEC learn; always against the input's
  /// own magnitude, since DEC's output is what changes).
  private func level2Step(decodersOnly: Bool) throws -> [String: Double] {
    let prefix = decodersOnly ? "decoders" : "level2"
    let towardsLevel1 = !decodersOnly && options.level2MagnitudeTarget == "level1"
    let stft = codec.frontEnd.stft
    let frames = options.level2Vectors * codec.config.framesPerVector
    let x = corpus.excerpts(count: options.batchSize, length: stft.sampleCount(frames: frames), generator: stepGenerator)
    let noiseSeed = Seed.derive(options.seed, ["noise", .int(step)])
    let (latents, targetMagnitude, spectrum) = try withNoGrad {
      let spectrum = try stft(x)  // complex (B, bins, frames)
      let spectrogram = codec.frontEnd.normalizedLogMagnitude(spectrum)
      let z = codec.encoder(spectrogram)
      guard towardsLevel1 else { return (z, spectrogram, spectrum) }
      return (z, codec.decoder.unclipped(z, noise: NoiseSource(seed: noiseSeed), phaseHead: false).magnitude, spectrum)
    }
    let codes = decodersOnly ? withNoGrad { codec.latentEncoder(latents) } : codec.latentEncoder(latents)
    let rebuilt = codec.latentDecoder(codes, noise: NoiseSource(seed: Seed.derive(noiseSeed, ["dec2"])))
    // The same decoder noise as the target's; the phase head only for the phase terms. At stage 2 DEC
    // is frozen: the gradient passes through it to DEC2 without computing DEC's own.
    let decode = { [self] in codec.decoder.unclipped(rebuilt, noise: NoiseSource(seed: noiseSeed), phaseHead: trainsPhase) }
    let (magnitude, phase) = decodersOnly ? decode() : codec.decoder.frozen(decode)
    let latentLoss = (rebuilt - latents).abs().mean()
    let magnitudeLoss = (magnitude - targetMagnitude).abs().mean()
    var loss = latentLoss * options.latentWeight + magnitudeLoss * options.magnitudeWeight
    var metrics = ["\(prefix)/latent_l1": latentLoss.item(), "\(prefix)/magnitude_l1": magnitudeLoss.item()]
    if options.melWeight > 0 {
      let mel = melLoss(magnitude.clamp(min: -1, max: 1), targetMagnitude)
      loss = loss + mel * options.melWeight
      metrics["\(prefix)/log_mel_l1"] = mel.item()
    }
    if let phase {
      // At stage 2 DEC is frozen: this teaches ENC2 and DEC2 to keep what DEC needs to turn the phase right.
      let (advance, groupDelay) = phaseLoss(predicted: codec.phaseAngles(phase, clip: false).angles, target: spectrum)
      loss = loss + advance * options.phaseAdvanceWeight + groupDelay * options.groupDelayWeight
      metrics["\(prefix)/phase_advance"] = advance.item()
      metrics["\(prefix)/group_delay"] = groupDelay.item()
    }
    if decodersOnly {
      decoderOptimizer.zeroGrad()
      loss.backward()
      try decoderOptimizer.update()
    } else {
      level2Optimizer.zeroGrad()
      loss.backward()
      try level2Optimizer.update()
    }
    metrics["\(prefix)/total"] = loss.item()
    return metrics
  }

  // MARK: The loop

  /// The stage of the step just trained.
  public func logFields() -> [(String, String)] { [("stage", "\(Self.stage(ofStep: max(step - 1, 0), options))")] }

  public func scaleLearningRates(by factor: Double) -> Double {
    for (_, optimizer) in namedOptimizers { optimizer.learningRate *= factor }
    return level1Optimizer.learningRate
  }

  /// Trains until `options.totalSteps` (or `stopAfter` more steps) in `TrainingLoop`: checkpoints in
  /// `output/checkpoints`, metrics in `metrics.jsonl`, audio/spectrogram samples in `samples/`, the
  /// finished codec in `output/codec`.
  @discardableResult
  public func run(stopAfter: Int? = nil, progress: (TrainingProgress) -> Void = { _ in },
                  log: (String) -> Void = { _ in }) throws -> TrainingLoop.Outcome {
    codec.train()
    return try TrainingLoop.run(self, stopAfter: stopAfter, elapsedBefore: elapsedBefore, progress: progress, log: log)
  }

  public func finish(log: (String) -> Void) throws {
    try codec.save(to: output.appendingPathComponent("codec"), metadata: ["steps": String(step)])
    log("trained codec: \(output.appendingPathComponent("codec").path)")
  }

  // MARK: Files

  /// Writes weights, critic, optimiser states and the step into a checkpoint folder (staged by
  /// `CheckpointStore`, which makes it appear atomically). The folder also serves as `--codec`.
  public func writeCheckpoint(into folder: URL, elapsed: Double) throws {
    let state = State(step: step, options: options, learningRate: level1Optimizer.learningRate,
                      discriminatorLearningRate: discriminatorOptimizer.learningRate, elapsedSeconds: elapsed)
    try codec.writeFiles(into: folder)
    try Safetensors.write(discriminator.stateDict(), to: folder.appendingPathComponent(Self.discriminatorFile))
    try TrainerStateFiles.write(state, optimizers: namedOptimizers, into: folder)
  }

  /// Saves a checkpoint now (outside the loop), as `latest`.
  public func saveCheckpoint() throws {
    try checkpoints.save(step: step, milestoneEvery: nil) { try writeCheckpoint(into: $0, elapsed: elapsedBefore) }
  }

  /// Reconstructs a fixed excerpt (3 s from the middle of the first file) through the stage being
  /// trained and writes `samples/step-N.wav` and a spectrogram picture (input above, output below).
  public func writeSample(log: (String) -> Void = { _ in }) throws {
    let folder = output.appendingPathComponent("samples")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let source = corpus.items[0].samples.to(dtype: .float32)
    let length = min(source.size(1), 3 * corpus.sampleRate)
    let excerpt = source.narrow(dim: 1, start: (source.size(1) - length) / 2, length: length)
    codec.eval()
    defer { codec.train() }
    let audio: Tensor = try withNoGrad {
      step <= options.level1Steps
        ? try codec.decodeAudio(frames: try codec.encodeFrames(excerpt), seed: options.seed)
        : try codec.decode(try codec.encode(excerpt), seed: options.seed)
    }
    let name = String(format: "step-%07d", step)
    try AudioFile.write(audio, sampleRate: corpus.sampleRate, to: folder.appendingPathComponent(name + ".wav"))
    let original = try codec.frontEnd.analyze(excerpt.narrow(dim: 1, start: 0, length: audio.size(1)))
    let rebuilt = try codec.frontEnd.analyze(audio)
    try SpectrogramImage.write([original.select(dim: 0, index: 0), rebuilt.select(dim: 0, index: 0)],
                               to: folder.appendingPathComponent(name + ".png"))
    log("sample: \(folder.appendingPathComponent(name + ".wav").path)")
  }
}
