/// Hyper-parameters of `musika train` (reference §5.4, §8). Saved with every checkpoint, so a resume
/// uses the same values (the step total may be raised on resume to train longer).
public struct GANTrainingOptions: Codable, Sendable, Equatable {
  public var seed: UInt64 = 0
  public var steps = 20_000
  public var batchSize = 16
  /// Adam for generator and critic: lr 1e-4, β = (0.5, 0.999), ε = 1e-7 (the original's Keras defaults).
  public var learningRate = 1e-4
  public var beta1 = 0.5
  public var beta2 = 0.999
  public var epsilon = 1e-7
  /// The adaptive R1 weight γ = maxR1Weight · (−switch) lies in [0, maxR1Weight].
  public var maxR1Weight = 10.0
  /// The switch moves by this much per step: up when the critic is unsure, down when it is certain.
  /// The original uses 1e-4 and starts at full weight (`r1WeightAtStart` 1): over its first 10 000
  /// steps the critic is held nearly flat whatever it sees. That suits runs of hundreds of thousands
  /// of GPU steps, not ours: the techno run scored real and generated crops 0.634 and 0.627 at step
  /// 7 500 (R1 weight 5), so the generator learned almost nothing from it. Started at 0 and moving
  /// ten times faster, the weight settles within ~200 steps where the critic is as sure as the
  /// original intends (certainty ≈ `certaintyThreshold`): real 0.8–1.0 against generated −1.2.
  public var switchStep = 1e-3
  /// The R1 weight at step 0 as a share of `maxR1Weight` (the original: 1). Runs saved without it
  /// started at 1.
  public var r1WeightAtStart = 0.0
  /// R1 every this many steps, at this many times its weight (lazy regularisation, Karras et al. 2020,
  /// StyleGAN2 §3.1): the penalty's double backward through the critic is the costliest part of a
  /// step, and the critic's smoothness changes slowly. 1: every step (runs saved without it).
  public var r1Interval = 1
  /// Critic certainty above which the R1 weight grows.
  public var certaintyThreshold = 0.9
  public var emaDecay = 0.999
  public var checkpointEvery = 500
  public var sampleEvery = 1000
  public var logEvery = 10
  /// Length of the audio sample written every `sampleEvery` steps.
  public var sampleSeconds = 12.0
  /// Checkpoints at multiples of this many steps are kept as milestones.
  public var milestoneEvery = 10_000
  /// Conditioned models: the share of the critic's "not real" term given to real latents paired with
  /// another crop's conditions (a matching-aware critic, Reed et al. 2016). Without it the critic
  /// only learns what real music looks like, not whether it matches its tempo or density, and the
  /// generator is free to ignore its controls (the techno run at 5 000 steps: asking 120 or 160 BPM
  /// changed its audio by 8 % rms). 0 turns it off; runs saved without it keep 0.
  public var mismatchWeight = 0.5
  /// Moves each crop the critic judges, real or generated, by 0 or 1 vector at random (the last
  /// vector held). Generated pairs of windows always start on the critic's stride-2 grid, real crops
  /// anywhere; the critic's gradient then differs between even and odd vectors, and nothing stops the
  /// generator from building that difference in (the nearest-upsampled techno runs learned to pair
  /// their vectors).
  /// Runs saved without it keep it off.
  public var criticShift = false
  /// Weight of a generator term on DEC2's output (`GANTrainer.boundaryTerm`): generated latents go
  /// through the codec's frozen DEC2, and the frame-to-frame change into each vector's first level-1
  /// frame is pushed down to the change elsewhere (`VectorBoundaryJump`). The critic sees latents only
  /// and let a piano run place a discontinuity at every vector (jump 1.38 against 1.03 for real
  /// latents). With weight 1 the jump fell to 0.92–0.98 within 1 500 steps, though the audio's pulse at
  /// the vector rate stayed (0.52–0.57): that pulse had another cause (`conditionsPerCrop`). 0: off
  /// (runs saved without it).
  /// May be set when resuming a run.
  public var boundaryWeight = 0.0
  /// Weight of a second term on the same DEC2 output: the mean energy of the level-1 frames at each
  /// of a vector's 16 positions, over their average, is pushed to 1 (mean squared deviation). Real
  /// piano latents are flat within ±3 %; the piano run arched 0.84–1.12 inside every vector, and DEC's
  /// positive spectral flux sat 2.4–4.2× above average at the vector's last two frames and its first:
  /// one onset per vector. First trial (weight 50, 2 500 steps): flat in the training crops (largest
  /// deviation 0.06 → 0.01–0.03) but not in streams (arch 0.90–1.07, pulse unchanged): the training
  /// crops carried per-vector density labels, under which the generator decodes flat anyway; streams
  /// hold one density, under which it arched (`conditionsPerCrop` removed the arch). 0: off. May be set
  /// when resuming.
  public var profileWeight = 0.0
  /// Weight of a generator term on the seam between the two windows of each generated pair: the
  /// squared latent step from the first window's last vector to the second's first, over the mean
  /// squared step between neighbours inside the windows (held fixed), pushed down to 1
  /// (`GANTrainer.seamTerm`, `WindowEdgePower.seamStep`). The critic judges the pair across its seam,
  /// yet every bundled model's windows met with a jump 2.2–2.7× the step inside, which the piano model
  /// plays as a swell of +2.4 dB at each boundary. 0: off (runs saved without it). May be set when
  /// resuming.
  public var seamWeight = 0.0
  /// Weight of a generator term on each window's ends: the latent power of its first and last two
  /// vectors and the steps around the seam, pushed to the interior's (squared deviations of the ratios
  /// from 1, the interior held fixed; `GANTrainer.edgeTerm`). The generator's convolutions see only
  /// padding past a window's ends, and the piano model (seam term on) made its last vector 0.85 and its
  /// first 0.91 of the interior's power, with a 1.3 dB level dip at every boundary over 24 seeds; the
  /// term fixed the latents but not that dip (README). 0: off (runs saved without it). May be set when
  /// resuming.
  public var edgeWeight = 0.0
  /// Density-conditioned runs: each crop's density label is its mean over the crop, one value held
  /// along it, as a listener asks for one density. Labelled per vector (onsets within ±1 s), the label
  /// steps up and down a second before and after every onset, and the piano run learned to place its
  /// notes by those steps: given the same crops' labels it decoded flat inside every vector (within
  /// ±3 %), given their mean held constant, as in a stream, it arched 0.84–1.14 with one onset per
  /// vector. Tempo labels are one per file and do not change. Runs saved without it keep per-vector
  /// labels; may be set when resuming.
  public var conditionsPerCrop = true
  /// Precision of the convolutions of the generator, the critic, and DEC2 where the boundary or profile
  /// term runs through it. May be set when resuming: the checkpoint holds float32 state either way.
  /// Runs saved without it trained in fp32.
  public var precision = TrainingPrecision.fp32

  public init() {}

  /// Options saved by an earlier release lack the fields added since: those take their defaults.
  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    var o = GANTrainingOptions()
    func read<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws {
      if let v = try c.decodeIfPresent(T.self, forKey: key) { value = v }
    }
    try read(.seed, &o.seed); try read(.steps, &o.steps); try read(.batchSize, &o.batchSize)
    try read(.learningRate, &o.learningRate); try read(.beta1, &o.beta1); try read(.beta2, &o.beta2)
    try read(.epsilon, &o.epsilon); try read(.maxR1Weight, &o.maxR1Weight); try read(.switchStep, &o.switchStep)
    try read(.certaintyThreshold, &o.certaintyThreshold); try read(.emaDecay, &o.emaDecay)
    try read(.checkpointEvery, &o.checkpointEvery); try read(.sampleEvery, &o.sampleEvery)
    try read(.logEvery, &o.logEvery); try read(.sampleSeconds, &o.sampleSeconds); try read(.milestoneEvery, &o.milestoneEvery)
    o.mismatchWeight = try c.decodeIfPresent(Double.self, forKey: .mismatchWeight) ?? 0
    o.r1WeightAtStart = try c.decodeIfPresent(Double.self, forKey: .r1WeightAtStart) ?? 1
    o.criticShift = try c.decodeIfPresent(Bool.self, forKey: .criticShift) ?? false
    o.boundaryWeight = try c.decodeIfPresent(Double.self, forKey: .boundaryWeight) ?? 0
    o.profileWeight = try c.decodeIfPresent(Double.self, forKey: .profileWeight) ?? 0
    o.seamWeight = try c.decodeIfPresent(Double.self, forKey: .seamWeight) ?? 0
    o.edgeWeight = try c.decodeIfPresent(Double.self, forKey: .edgeWeight) ?? 0
    o.conditionsPerCrop = try c.decodeIfPresent(Bool.self, forKey: .conditionsPerCrop) ?? false
    try read(.precision, &o.precision)
    try read(.r1Interval, &o.r1Interval)
    self = o
  }

  public var schedule: TrainingSchedule {
    TrainingSchedule(checkpointEvery: checkpointEvery, sampleEvery: sampleEvery, logEvery: logEvery,
                     milestoneEvery: milestoneEvery)
  }

  public func validate() throws {
    guard steps > 0, batchSize >= 1 else { throw MusikaError.invalidConfig("training needs steps > 0 and batch ≥ 1") }
    guard learningRate > 0, (0..<1).contains(beta1), (0..<1).contains(beta2), epsilon > 0 else {
      throw MusikaError.invalidConfig("learning rate must be positive and Adam betas in [0, 1)")
    }
    guard maxR1Weight >= 0, switchStep > 0, (0...1).contains(emaDecay) else {
      throw MusikaError.invalidConfig("R1 weight ≥ 0, switch step > 0 and EMA decay in [0, 1]")
    }
    guard r1Interval >= 1 else {
      throw MusikaError.invalidConfig("R1 runs every N ≥ 1 steps (got \(r1Interval))")
    }
    guard (0...1).contains(r1WeightAtStart) else {
      throw MusikaError.invalidConfig("the R1 weight at start is a share of the maximum, in [0, 1] (got \(r1WeightAtStart))")
    }
    guard boundaryWeight >= 0, boundaryWeight.isFinite, profileWeight >= 0, profileWeight.isFinite else {
      throw MusikaError.invalidConfig("the boundary and profile weights must be ≥ 0 (got \(boundaryWeight), \(profileWeight))")
    }
    guard seamWeight >= 0, seamWeight.isFinite else {
      throw MusikaError.invalidConfig("the seam weight must be ≥ 0 (got \(seamWeight))")
    }
    guard edgeWeight >= 0, edgeWeight.isFinite else {
      throw MusikaError.invalidConfig("the edge weight must be ≥ 0 (got \(edgeWeight))")
    }
    guard (0...1).contains(mismatchWeight) else {
      throw MusikaError.invalidConfig("the mismatch weight must lie in [0, 1] (got \(mismatchWeight))")
    }
    guard checkpointEvery >= 1, sampleEvery >= 1, logEvery >= 1, milestoneEvery >= 1, sampleSeconds > 0 else {
      throw MusikaError.invalidConfig("checkpoint, sample and log intervals must be at least 1, sample length positive")
    }
  }
}
