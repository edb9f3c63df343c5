/// Hyper-parameters of `musika codec train`. Saved with every checkpoint, so a resume uses the same
/// values (totals of steps may be raised on resume to train longer).
public struct CodecTrainingOptions: Codable, Sendable, Equatable {
  public var seed: UInt64 = 0
  /// Stage 1 trains ENC + DEC; stage 2 trains ENC2 + DEC2 with level 1 frozen; stage 3 trains DEC2 +
  /// DEC together through both levels with both encoders frozen, so the latents stay as they were.
  public var level1Steps = 4000
  public var level2Steps = 2000
  public var decoderSteps = 0
  public var batchSize = 8
  /// Level-1 excerpt length in frames (64 = one decoder window, 0.37 s).
  public var level1Frames = 64
  /// Level-2 excerpt length in latent vectors (each 16 frames).
  public var level2Vectors = 8
  public var learningRate = 2e-4
  public var discriminatorLearningRate = 2e-4
  public var beta1 = 0.8
  public var beta2 = 0.99
  /// Level-1 step from which the spectrogram critics and feature matching join the loss.
  public var adversarialStart = 1000
  public var magnitudeWeight = 1.0
  public var stftWeight = 1.0
  public var adversarialWeight = 0.1
  public var featureMatchingWeight = 1.0
  public var latentWeight = 1.0
  /// Weight of the log-mel L1 on the decoder's magnitude (both levels; `LogMelLoss`).
  public var melWeight = 0.0
  /// Weights of the phase-derivative terms on DEC's phase (level 1; `PhaseDerivativeLoss`): the
  /// phase advance per frame (instantaneous frequency, what keeps tones between bins in tune) and the
  /// phase step across bins (group delay).
  public var phaseAdvanceWeight = 0.0
  public var groupDelayWeight = 0.0
  /// Level 2's magnitude term compares DEC's output through the rebuilt latents with the input's own
  /// log-magnitude ("spectrogram") or with DEC's output through the true level-1 latents ("level1").
  public var level2MagnitudeTarget = "spectrogram"
  /// Precision of the convolutions in training. Fixed when a run starts.
  public var precision = TrainingPrecision.fp32
  public var discriminatorWidth = 32
  public var checkpointEvery = 250
  public var sampleEvery = 500
  public var logEvery = 10
  /// Checkpoints at multiples of this many steps are kept as milestones.
  public var milestoneEvery = 10_000

  public init() {}

  /// Options saved by an earlier release lack the fields added since: those take their defaults.
  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    var o = CodecTrainingOptions()
    func read<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws {
      if let v = try c.decodeIfPresent(T.self, forKey: key) { value = v }
    }
    try read(.seed, &o.seed); try read(.level1Steps, &o.level1Steps); try read(.level2Steps, &o.level2Steps)
    try read(.decoderSteps, &o.decoderSteps)
    try read(.batchSize, &o.batchSize); try read(.level1Frames, &o.level1Frames); try read(.level2Vectors, &o.level2Vectors)
    try read(.learningRate, &o.learningRate); try read(.discriminatorLearningRate, &o.discriminatorLearningRate)
    try read(.beta1, &o.beta1); try read(.beta2, &o.beta2); try read(.adversarialStart, &o.adversarialStart)
    try read(.magnitudeWeight, &o.magnitudeWeight); try read(.stftWeight, &o.stftWeight)
    try read(.adversarialWeight, &o.adversarialWeight); try read(.featureMatchingWeight, &o.featureMatchingWeight)
    try read(.latentWeight, &o.latentWeight); try read(.melWeight, &o.melWeight)
    try read(.phaseAdvanceWeight, &o.phaseAdvanceWeight); try read(.groupDelayWeight, &o.groupDelayWeight); try read(.level2MagnitudeTarget, &o.level2MagnitudeTarget)
    try read(.precision, &o.precision); try read(.discriminatorWidth, &o.discriminatorWidth)
    try read(.checkpointEvery, &o.checkpointEvery); try read(.sampleEvery, &o.sampleEvery)
    try read(.logEvery, &o.logEvery); try read(.milestoneEvery, &o.milestoneEvery)
    self = o
  }

  public var schedule: TrainingSchedule {
    TrainingSchedule(checkpointEvery: checkpointEvery, sampleEvery: sampleEvery, logEvery: logEvery,
                     milestoneEvery: milestoneEvery)
  }

  public var totalSteps: Int { level1Steps + level2Steps + decoderSteps }

  public func validate() throws {
    guard level1Steps >= 0, level2Steps >= 0, decoderSteps >= 0, totalSteps > 0 else {
      throw MusikaError.invalidConfig("training needs a positive number of steps")
    }
    guard batchSize >= 1, level1Frames >= 8, level1Frames % 8 == 0, level2Vectors >= 1 else {
      throw MusikaError.invalidConfig("batch ≥ 1, level-1 frames a positive multiple of 8, level-2 vectors ≥ 1")
    }
    guard learningRate > 0, discriminatorLearningRate > 0 else {
      throw MusikaError.invalidConfig("learning rates must be positive")
    }
    guard melWeight >= 0, phaseAdvanceWeight >= 0, groupDelayWeight >= 0 else {
      throw MusikaError.invalidConfig("loss weights must not be negative")
    }
    guard ["spectrogram", "level1"].contains(level2MagnitudeTarget) else {
      throw MusikaError.invalidConfig("level-2 magnitude target must be 'spectrogram' or 'level1' (got '\(level2MagnitudeTarget)')")
    }
    guard checkpointEvery >= 1, sampleEvery >= 1, logEvery >= 1, milestoneEvery >= 1 else {
      throw MusikaError.invalidConfig("checkpoint, sample and log intervals must be at least 1")
    }
  }
}
