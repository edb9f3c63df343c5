import Audio
import Foundation
import Torch

/// Trains a latent GAN (`musika train`) as the original does (reference §5.4), with its per-batch
/// quirks fixed:
///
/// - Each sample: a real crop of two generator windows with its own left/right swap, and coordinates
///   from three fresh anchors cropped at its own phase (windows centred at ⅓, ⅔ or on an anchor).
/// - The generator makes the two windows independently; the critic judges them side by side (plus
///   the condition channels), so it trains the seam.
/// - Hinge loss, R1 on reals with the adaptive weight γ = 10·(−switch), generator loss −D(fake); both
///   nets update from the same step (1:1), Adam (0.5, 0.999), the generator's EMA every step.
///
/// Every random choice of step k derives from (seed, k), so a checkpoint (weights, critic, EMA,
/// optimiser states, switch, learning rate, step) resumes exactly where an uninterrupted run would be.
public final class GANTrainer: TrainingTask {
  struct State: Codable {
    var formatVersion = 1
    var step: Int
    var options: GANTrainingOptions
    var model: GANModelConfig
    var learningRate: Double
    var r1Switch: Double
    var elapsedSeconds: Double
  }

  static let generatorFile = "generator.safetensors"
  static let criticFile = "critic.safetensors"
  static let emaFile = "generator-ema.safetensors"

  public private(set) var options: GANTrainingOptions
  public let modelConfig: GANModelConfig
  public let output: URL
  public let generator: LatentGenerator
  public let critic: LatentCritic
  public let ema: ExponentialMovingAverage
  public let codec: SpectralCodec
  /// Where generator, critic, EMA and optimiser states live and the steps run. Crops, coordinates,
  /// clocks and noise are still drawn on the CPU (from the same seeds) and moved, so a run draws the
  /// same data on any device; the arithmetic, and so the weights, differ in the last bits between
  /// devices. Not saved: a checkpoint resumes on whichever device the next command names.
  public let device: Device
  public private(set) var step = 0
  /// The adaptive R1 switch in [−1, 0] (starts at −1: full weight).
  public private(set) var r1Switch = -1.0
  let corpus: LatentCorpus
  let generatorOptimizer: Adam
  let criticOptimizer: Adam
  private var elapsedBefore = 0.0
  public let checkpoints: CheckpointStore
  public var totalSteps: Int { options.steps }
  public var schedule: TrainingSchedule { options.schedule }

  public var config: GANConfig { modelConfig.gan }

  /// A new run; `gan.conditionChannels` is set from `conditioning`.
  public init(gan: GANConfig, conditioning: Conditioning, codec: SpectralCodec, options: GANTrainingOptions,
              corpus: LatentCorpus, output: URL, name: String? = nil, device: Device = .cpu) throws {
    try options.validate()
    var gan = gan
    gan.conditionChannels = conditioning.channelCount
    let modelConfig = GANModelConfig(name: name ?? output.lastPathComponent, gan: gan, conditioning: conditioning)
    try modelConfig.validate()
    guard corpus.latentChannels == gan.latentChannels, 2 * codec.config.vectorChannels == gan.latentChannels else {
      throw MusikaError.invalidInput("the latents have \(corpus.latentChannels) channels, codec '\(codec.config.name)' "
        + "decodes \(2 * codec.config.vectorChannels) and the GAN makes \(gan.latentChannels): use the codec the data "
        + "was encoded with")
    }
    self.options = options
    self.modelConfig = modelConfig
    self.output = output
    self.corpus = corpus
    self.codec = codec
    self.device = device
    if options.boundaryWeight > 0 || options.profileWeight > 0, device != .cpu {
      throw MusikaError.invalidConfig("the DEC2 terms (--boundary-weight, --profile-weight) run on the CPU only for now; "
        + "train with --device cpu or set them to 0")
    }
    checkpoints = CheckpointStore(run: output, kind: "gan")
    generator = LatentGenerator(gan)
    critic = LatentCritic(gan)
    generator.initialize(seed: Seed.derive(options.seed, ["generator"]))
    critic.initialize(seed: Seed.derive(options.seed, ["critic"]))
    // Before the EMA and the optimisers, which make their state beside the parameters.
    if device != .cpu {
      try generator.to(device: device)
      try critic.to(device: device)
    }
    r1Switch = -options.r1WeightAtStart
    ema = ExponentialMovingAverage(of: generator, decay: options.emaDecay)
    generatorOptimizer = Adam(generator, learningRate: options.learningRate, beta1: options.beta1,
                              beta2: options.beta2, epsilon: options.epsilon)
    criticOptimizer = Adam(critic, learningRate: options.learningRate, beta1: options.beta1,
                           beta2: options.beta2, epsilon: options.epsilon)
    codec.eval()
    // The codec is never trained here: DEC2's weights need no gradient when the boundary term runs
    // through it.
    codec.latentDecoder.setRequiresGrad(false)
    setTrainingPrecision()
  }

  /// The convolutions' compute type for training steps: DEC2 only where a term runs through it, so that
  /// samples of a run without one decode as `generate` does.
  private func setTrainingPrecision() {
    generator.setComputeDType(options.precision.computeDType)
    critic.setComputeDType(options.precision.computeDType)
    let throughDEC2 = options.boundaryWeight > 0 || options.profileWeight > 0
    codec.latentDecoder.setComputeDType(throughDEC2 ? options.precision.computeDType : nil)
  }

  /// Continues the run saved in `output/checkpoints` (its newest intact checkpoint); `extend` may raise
  /// the step total.
  public static func resume(output: URL, corpus: LatentCorpus, codec: SpectralCodec,
                            extend: (inout GANTrainingOptions) -> Void = { _ in }, device: Device = .cpu,
                            log: (String) -> Void = { _ in }) throws -> GANTrainer {
    let folder = try CheckpointStore(run: output, kind: "gan").folderToResume(log: log)
    let state = try TrainerStateFiles.readState(State.self, in: folder)
    var options = state.options
    extend(&options)
    let trainer = try GANTrainer(gan: state.model.gan, conditioning: state.model.conditioning, codec: codec,
                                 options: options, corpus: corpus, output: output, name: state.model.name, device: device)
    trainer.elapsedBefore = try trainer.restoreCheckpoint(from: folder)
    return trainer
  }

  /// The state of a saved run (to learn its configuration before resuming).
  public static func savedConfiguration(output: URL) throws -> (model: GANModelConfig, options: GANTrainingOptions)? {
    let store = CheckpointStore(run: output, kind: "gan")
    guard store.exists else { return nil }
    let state = try TrainerStateFiles.readState(State.self, in: store.folderToResume())
    return (state.model, state.options)
  }

  public var modelFolder: URL { output.appendingPathComponent("model") }

  /// Loads a checkpoint folder into this trainer, in place; returns the training time it had.
  public func restoreCheckpoint(from folder: URL) throws -> Double {
    let state = try TrainerStateFiles.readState(State.self, in: folder)
    try withNoGrad {
      try generator.load(Safetensors.read(folder.appendingPathComponent(Self.generatorFile)).tensors)
      try critic.load(Safetensors.read(folder.appendingPathComponent(Self.criticFile)).tensors)
    }
    try ema.loadState(Safetensors.read(folder.appendingPathComponent(Self.emaFile)).tensors)
    try TrainerStateFiles.loadOptimizers(namedOptimizers, from: folder)
    generatorOptimizer.learningRate = state.learningRate
    criticOptimizer.learningRate = state.learningRate
    r1Switch = state.r1Switch
    step = state.step
    return state.elapsedSeconds
  }

  private var namedOptimizers: [(String, Adam)] { [("generator", generatorOptimizer), ("critic", criticOptimizer)] }

  // MARK: One step

  /// Coordinates and conditions for `count` training samples: (count, inputChannels, 2·window).
  /// Each sample has its own anchors (no truncation, as in training) and crop phase.
  func trainingCoordinates(count: Int, conditions: Tensor, generator random: Generator) throws -> Tensor {
    let window = config.windowVectors
    let phases = Tensor.uniform([count], generator: random, dtype: .float64).toArray(of: Double.self)
    let rows = try (0..<count).map { i -> Tensor in
      let sampler = CoordinateSampler(config: config, seed: Seed.derive(options.seed, ["coordinates", .int(step), .int(i)]),
                                      truncation: nil)
      return try sampler.coordinates(start: min(Int(phases[i] * 3), 2) * window, count: 2 * window)
    }
    let inputs = Tensor.cat([Tensor.stack(rows, dim: 0), conditions], dim: 1)
    guard config.clockChannelCount > 0 else { return inputs }
    return Tensor.cat([inputs, try trainingClock(conditions: conditions)], dim: 1)
  }

  /// The beat clock of each sample's two windows at its crop's tempo, from a random beat of the bar
  /// (its own random stream: crops, coordinates and noise stay those of a run without a clock):
  /// (count, clockChannels, 2·window).
  private func trainingClock(conditions: Tensor) throws -> Tensor {
    guard let scale = modelConfig.conditioning.tempo else {
      throw MusikaError.invalidConfig("a beat clock needs a tempo-conditioned run")
    }
    let (count, length) = (conditions.size(0), conditions.size(2))
    // The tempo is condition channel 0 (`Conditioning.channels`), constant along a crop: (count, 1).
    let bpm = conditions.narrow(dim: 1, start: 0, length: 1).narrow(dim: 2, start: 0, length: 1).reshape(count, 1)
      .to(dtype: .float64) * scale.deviation + scale.mean
    let secondsPerVector = Double(codec.samplesPerVector) / Double(codec.config.sampleRate)
    let starts = Tensor.uniform([count, 1], low: 0, high: 4, generator: Generator(seed: options.seed, "clock", .int(step)),
                                dtype: .float64)
    let vectors = Tensor.arange(0, Double(length), dtype: .float64).unsqueeze(0)  // (1, length)
    return TempoClock.channels(beats: starts + bpm / 60 * secondsPerVector * vectors)
  }

  /// The generator on two independent windows per sample: (B, inputChannels, 2w) → (B, latentChannels, 2w),
  /// in units of `GANConfig.latentScale`.
  func generatePairs(_ coordinates: Tensor, noise: NoiseSource) -> Tensor {
    let (batch, channels, window) = (coordinates.size(0), coordinates.size(1), config.windowVectors)
    let windows = coordinates.reshape(batch, channels, 2, window).permute(0, 2, 1, 3).reshape(2 * batch, channels, window)
    let latents = generator.standardized(windows, noise: noise)  // (2B, latentChannels, w)
    return latents.reshape(batch, 2, config.latentChannels, window).permute(0, 2, 1, 3)
      .reshape(batch, config.latentChannels, 2 * window)
  }

  /// Trains one step and returns its losses by name.
  public func trainStep() throws -> [String: Double] {
    let random = Generator(seed: options.seed, "data", .int(step))
    let batch = try corpus.batch(count: options.batchSize, length: config.criticVectors,
                                 conditioning: modelConfig.conditioning, perCrop: options.conditionsPerCrop,
                                 beatPhase: config.criticClockChannelCount > 0, generator: random)
    let coordinates = try trainingCoordinates(count: options.batchSize, conditions: batch.conditions, generator: random)
      .to(device: device)
    // Critic and generator work in units of the latent scale (reals divided, the generator's output as is).
    var real = batch.to(device: device)
    real.latents = config.inScaleUnits(real.latents)
    let fake = generatePairs(coordinates, noise: NoiseSource(seed: Seed.derive(options.seed, ["noise", .int(step)])))

    // Critic: hinge on real and (detached) fake, R1 on the real latents. With a critic beat clock the
    // conditions carry the beat phase too: tracked for real crops, the generator's own for generated ones.
    let shifts = criticShifts(step: step)
    func judge(_ latents: Tensor, _ conditions: Tensor, _ shift: Tensor?) -> Tensor {
      let input = Tensor.cat([latents, conditions], dim: 1)
      return critic(shift.map { Self.shiftedByOne(input, where: $0) } ?? input)
    }
    let realConditions = real.beatPhase.map { Tensor.cat([real.conditions, $0], dim: 1) } ?? real.conditions
    let fakeConditions = real.beatPhase == nil ? real.conditions
      : Tensor.cat([real.conditions, coordinates.narrow(dim: 1, start: config.coordinateChannels + config.conditionChannels,
                                                         length: TempoClock.beatChannelCount)], dim: 1)
    // Lazy R1: on the steps that carry it only, at `r1Interval` times its weight.
    let penalise = step % options.r1Interval == 0
    let realLatents = penalise ? real.latents.detach().requiringGrad() : real.latents.detach()
    let realScores = judge(realLatents, realConditions, shifts?.real)
    let fakeScores = judge(fake.detach(), fakeConditions, shifts?.fake)
    let realMean = realScores.mean().item()
    let fakeMean = fakeScores.mean().item()
    let certainty = min(max(realMean - fakeMean, 0), 2) / 2
    r1Switch = min(max(r1Switch + (certainty > options.certaintyThreshold ? -options.switchStep : options.switchStep), -1), 0)
    let r1Weight = options.maxR1Weight * -r1Switch
    let r1 = penalise
      ? try grad(of: realScores.sum(), wrt: [realLatents], createGraph: true)[0].square().sum(dims: [1, 2]).mean() : nil
    let realTerm = (1 - realScores).relu().mean()
    let fakeTerm = (1 + fakeScores).relu().mean()
    // Real latents with the next crop's conditions: real music, but not music of that tempo/density.
    var mismatchScores: Tensor?
    if options.mismatchWeight > 0, real.conditions.size(1) > 0, options.batchSize > 1 {
      let shifted = Tensor.cat([realConditions.narrow(dim: 0, start: 1, length: options.batchSize - 1),
                                realConditions.narrow(dim: 0, start: 0, length: 1)], dim: 0)
      mismatchScores = judge(real.latents, shifted, shifts?.mismatch)
    }
    let mismatchTerm = mismatchScores.map { (1 + $0).relu().mean() }
    let notReal = mismatchTerm.map { fakeTerm * (1 - options.mismatchWeight) + $0 * options.mismatchWeight } ?? fakeTerm
    let hinge = (realTerm + notReal) * 0.5
    let criticLoss = r1.map { hinge + $0 * (r1Weight * Double(options.r1Interval)) } ?? hinge

    // Generator: −D(fake) with the critic as it was before this step's update; the critic frozen
    // through it (its weight gradients from this term would be zeroed before the critic's backward).
    let generatorLoss = critic.frozen { -judge(fake, fakeConditions, shifts?.fake).mean() }
    var boundary: (loss: Tensor, ratio: Double, profile: Tensor, profileDeviation: Double)?
    if options.boundaryWeight > 0 || options.profileWeight > 0 {
      // A crop of each sample (the jump is local: DEC2 reaches 3.6 vectors), at a place that moves with
      // the step: DEC2 over whole pairs of windows made a tiny-GAN step 2.7× slower.
      let crop = min(Self.boundaryCropVectors, fake.size(2))
      let start = (step &* 37) % (fake.size(2) - crop + 1)
      boundary = boundaryTerm(config.inCodecUnits(fake.narrow(dim: 2, start: start, length: crop)),
                              noise: NoiseSource(seed: Seed.derive(options.seed, ["dec2 noise", .int(step)])))
    }
    let seam = options.seamWeight > 0 ? Self.seamTerm(fake, window: config.windowVectors) : nil
    let edge = options.edgeWeight > 0 ? Self.edgeTerm(fake, window: config.windowVectors) : nil
    generator.zeroGrad()
    var total = boundary.map { generatorLoss + $0.loss * options.boundaryWeight + $0.profile * options.profileWeight } ?? generatorLoss
    if let seam { total = total + seam.loss * options.seamWeight }
    if let edge { total = total + edge.loss * options.edgeWeight }
    total.backward()
    critic.zeroGrad()
    criticLoss.backward()
    var metrics = ["critic": criticLoss.item(), "critic_hinge": hinge.item(), "critic_real": realTerm.item(),
                   "critic_fake": fakeTerm.item(), "r1_weight": r1Weight,
                   "generator": generatorLoss.item(), "real_score": realMean, "fake_score": fakeMean]
    if let r1 { metrics["r1"] = r1.item() }
    if let boundary {
      metrics["boundary_jump"] = boundary.ratio
      metrics["boundary_loss"] = boundary.loss.item()
      metrics["vector_profile"] = boundary.profileDeviation
    }
    if let seam { metrics["seam_step"] = seam.ratio }
    if let edge {
      metrics["edge_power_first"] = edge.first
      metrics["edge_power_last"] = edge.last
      metrics["edge_seam_step"] = edge.seam
    }
    if let mismatchScores, let mismatchTerm {
      metrics["mismatch_score"] = mismatchScores.mean().item()
      metrics["critic_mismatch"] = mismatchTerm.item()
    }
    for (name, value) in metrics where !value.isFinite {
      throw MusikaError.trainingDiverged(step: step, metric: name, value: value)
    }
    try generatorOptimizer.update()
    try criticOptimizer.update()
    try ema.update()
    step += 1
    return metrics
  }

  /// Vectors of each generated sample that the boundary term decodes per step.
  static let boundaryCropVectors = 32

  /// The boundary term of `options.boundaryWeight` for generated latents (B, latentChannels, n): DEC2
  /// (frozen) turns them into level-1 frames (2B, channels, n·16); the mean change into each vector's
  /// first frame over the mean change into the others (`VectorBoundaryJump`, first and last vector left
  /// out) is the jump. Loss relu(jump − 1), with the change elsewhere held fixed, so that the generator
  /// lowers the jumps instead of adding jitter inside vectors.
  /// Also the profile term of `options.profileWeight`: the mean energy of the frames at each of a
  /// vector's positions over their average, its mean squared deviation from 1 (the loss) and its
  /// largest absolute deviation (logged).
  func boundaryTerm(_ latents: Tensor, noise: NoiseSource) -> (loss: Tensor, ratio: Double, profile: Tensor, profileDeviation: Double) {
    let (batch, vectors) = (latents.size(0), latents.size(2))
    let perVector = codec.config.framesPerVector
    let frames = codec.latentDecoder(latents.clamp(min: -1, max: 1).reshape(2 * batch, codec.config.vectorChannels, vectors),
                                     noise: noise)
    let jump = VectorBoundaryJump.jump(VectorBoundaryJump.changeByPosition(frames, framesPerVector: perVector),
                                       holdingElsewhere: true)
    let profile = VectorBoundaryJump.energyByPosition(frames, framesPerVector: perVector)
    let deviation = (profile - 1).square().mean()
    return ((jump - 1).relu(), jump.item(), deviation, (profile - 1).abs().amax().item())
  }

  /// The seam term of `options.seamWeight` for generated pairs (B, latentChannels, 2·window): the mean
  /// squared step across each pair's seam over the mean squared step inside its windows
  /// (`WindowEdgePower.seamSteps`, the figure `musika analyze` prints for a stream), the latter held
  /// fixed so that the generator closes the seam instead of roughening the interiors. Loss relu(ratio − 1).
  static func seamTerm(_ pairs: Tensor, window: Int) -> (loss: Tensor, ratio: Double) {
    let (seam, inside) = WindowEdgePower.seamSteps(pairs, window: window)!  // a pair always holds one seam
    let ratio = seam / inside.detach()
    return ((ratio - 1).relu(), ratio.item())
  }

  /// Vectors at each end of a window whose latent power the edge term holds to the interior's.
  static let edgeVectors = 2

  /// The edge term of `options.edgeWeight` for generated pairs (B, latentChannels, 2·window): window
  /// ends made like the interior. The latent power at each window's first and last `edgeVectors`
  /// positions over the interior's (`WindowEdgePower.endPowers`), and the squared step into the first
  /// window's last vector, across the seam and out of the second's first over the interior's step
  /// (`WindowEdgePower.seamNeighbourSteps`); the interior figures held fixed, so that the generator changes
  /// its ends instead of its middle. The loss is the mean squared deviation of these 7 ratios from 1;
  /// logged: the power ratio at the first and at the last vector, and the seam's step ratio. With the
  /// one-sided seam term alone the piano model's last vector held 0.85 of the interior's power, its
  /// seam step 0.77 of the steps inside, and its audio 1.3 dB down within a vector of every window
  /// boundary (24 seeds); 6 000 steps with this term brought the latents to 0.99 / 1.02 and 0.87 but
  /// not the audio's level (README, piano card).
  static func edgeTerm(_ pairs: Tensor, window: Int) -> (loss: Tensor, first: Double, last: Double, seam: Double) {
    let ends = edgeVectors
    let power = WindowEdgePower.endPowers(pairs, window: window, ends: ends)!
    let steps = WindowEdgePower.seamNeighbourSteps(pairs, window: window)!  // a pair always holds one seam
    let ratios = Tensor.cat([power.ends / power.interior.detach(), steps.around / steps.interior.detach()], dim: 0)
    let values = ratios.detach().toArray(of: Float.self)
    return ((ratios - 1).square().mean(), Double(values[0]), Double(values[2 * ends - 1]), Double(values[2 * ends + 1]))
  }

  /// Per-crop masks (batch, 1, 1) of 0 or 1 for `options.criticShift`, drawn from their own stream
  /// so that crops, coordinates and noise stay those of a run without it; nil when off.
  private func criticShifts(step: Int) -> (real: Tensor, fake: Tensor, mismatch: Tensor)? {
    guard options.criticShift else { return nil }
    let masks = Tensor.uniform([3, options.batchSize, 1, 1], generator: Generator(seed: options.seed, "critic shift", .int(step)),
                               dtype: .float64).ge(0.5).to(dtype: .float32).to(device: device)
    return (masks.select(dim: 0, index: 0), masks.select(dim: 0, index: 1), masks.select(dim: 0, index: 2))
  }

  /// x (batch, channels, T) → the crops where `mask` (batch, 1, 1) is 1 moved one vector earlier,
  /// their last vector held: x[1…T−1], x[T−1].
  static func shiftedByOne(_ x: Tensor, where mask: Tensor) -> Tensor {
    x + (heldShift1d(x, earlier: true) - x) * mask
  }

  // MARK: The loop

  public func logFields() -> [(String, String)] { [("lr", "\(generatorOptimizer.learningRate)")] }

  public func scaleLearningRates(by factor: Double) -> Double {
    for (_, optimizer) in namedOptimizers { optimizer.learningRate *= factor }
    return generatorOptimizer.learningRate
  }

  /// Trains until `options.steps` (or `stopAfter` more steps) in `TrainingLoop`: checkpoints in
  /// `output/checkpoints` (each also refreshes the usable model folder `output/model`), metrics in
  /// `metrics.jsonl`, audio and spectrogram samples in `samples/`.
  @discardableResult
  public func run(stopAfter: Int? = nil, progress: (TrainingProgress) -> Void = { _ in },
                  log: (String) -> Void = { _ in }) throws -> TrainingLoop.Outcome {
    generator.train()
    critic.train()
    return try TrainingLoop.run(self, stopAfter: stopAfter, elapsedBefore: elapsedBefore, progress: progress, log: log)
  }

  // MARK: Files

  /// The EMA generator and the codec as a usable model.
  public func model() throws -> GANModel {
    let averaged = LatentGenerator(config)
    try withNoGrad { try averaged.load(ema.stateDict()) }
    var modelConfig = self.modelConfig
    modelConfig.trainedSteps = step
    return try GANModel(config: modelConfig, generator: averaged, codec: codec)
  }

  /// Writes everything a resume needs into a checkpoint folder (staged by `CheckpointStore`).
  public func writeCheckpoint(into folder: URL, elapsed: Double) throws {
    var modelConfig = self.modelConfig
    modelConfig.trainedSteps = step
    let state = State(step: step, options: options, model: modelConfig, learningRate: generatorOptimizer.learningRate,
                      r1Switch: r1Switch, elapsedSeconds: elapsed)
    try Safetensors.write(generator.stateDict(), to: folder.appendingPathComponent(Self.generatorFile))
    try Safetensors.write(critic.stateDict(), to: folder.appendingPathComponent(Self.criticFile))
    try Safetensors.write(ema.stateDict(), to: folder.appendingPathComponent(Self.emaFile))
    try TrainerStateFiles.write(state, optimizers: namedOptimizers, into: folder)
  }

  /// Saves a checkpoint now (outside the loop), as `latest`, and refreshes `output/model`.
  public func saveCheckpoint() throws {
    try checkpoints.save(step: step, milestoneEvery: nil) { try writeCheckpoint(into: $0, elapsed: elapsedBefore) }
    try didSaveCheckpoint()
  }

  /// Refreshes `output/model`, the EMA generator with its codec, atomically.
  public func didSaveCheckpoint() throws {
    var modelConfig = self.modelConfig
    modelConfig.trainedSteps = step
    let card = """
      # \(modelConfig.name)

      Work in progress from `musika train`: \(step) of \(options.steps) steps, EMA generator \
      (\(config.name), \(generator.parameterCount) parameters), \(modelConfig.conditioning.summary), \
      codec '\(codec.config.name)'. Trained on \(corpus.items.count) encoded files \
      (\(String(format: "%.1f", Double(corpus.totalVectors) * Double(codec.samplesPerVector) / Double(codec.config.sampleRate) / 60)) minutes).

      """
    try AtomicFolder.write(modelFolder) { staging in
      try GANModel.writeFiles(into: staging, config: modelConfig, generatorWeights: ema.stateDict(), codec: codec,
                              dtype: .float32, card: card)
    }
  }

  /// Writes `samples/step-N.wav` (the EMA generator, seed = run seed, default truncation) and a
  /// spectrogram picture of its left channel.
  public func writeSample(log: (String) -> Void = { _ in }) throws {
    let folder = output.appendingPathComponent("samples")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    // Decoded in fp32, as `generate --precision fp32`, whatever the training precision (the codec is shared).
    codec.latentDecoder.setComputeDType(nil)
    defer { setTrainingPrecision() }
    let model = try model()
    var controls = GenerationControls(seed: options.seed, truncation: modelConfig.defaultTruncation)
    if let tempo = modelConfig.conditioning.tempo { controls.tempo = tempo.mean }
    if let density = modelConfig.conditioning.density { controls.density = .constant(density.mean) }
    let stream = try MusicStream(model: model, controls: controls, chunkVectors: MusicStream.renderingChunkVectors)
    let audio = try stream.render(seconds: options.sampleSeconds)
    let name = String(format: "step-%07d", step)
    try AudioFile.write(audio, sampleRate: model.sampleRate, to: folder.appendingPathComponent(name + ".wav"))
    let spectrogram = try codec.frontEnd.analyze(audio.narrow(dim: 0, start: 0, length: 1))
    try SpectrogramImage.write([spectrogram.select(dim: 0, index: 0)], to: folder.appendingPathComponent(name + ".png"))
    log("sample: \(folder.appendingPathComponent(name + ".wav").path)")
  }
}
