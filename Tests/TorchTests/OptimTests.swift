import Testing

@testable import Torch

@Suite("Adam, AdamW and the EMA")
struct OptimTests {
  @Test func adamStepMatchesTheFormula() throws {
    let p = Tensor([1.0, -2.0] as [Double]).requiringGrad()
    let adam = Adam(parameters: [("p", p)], learningRate: 0.1, beta1: 0.5, beta2: 0.999, epsilon: 1e-7)
    // loss = Σ p², gradient 2p = (2, −4).
    (p * p).sum().backward()
    try adam.update()
    // Step 1: m̂ = g, v̂ = g², so p −= lr·g/(|g| + ε) ≈ lr·sign(g).
    let g = [2.0, -4.0]
    let expected1 = zip([1.0, -2.0], g).map { $0 - 0.1 * $1 / (Swift.abs($1) + 1e-7) }
    #expect(close(values(p), expected1, tolerance: 1e-12))
    // Step 2 by hand.
    adam.zeroGrad()
    (p * p).sum().backward()
    try adam.update()
    var expected2: [Double] = []
    for i in 0..<2 {
      let g2 = 2 * expected1[i]
      let m = 0.5 * (0.5 * g[i]) + 0.5 * g2
      let v = 0.999 * (0.001 * g[i] * g[i]) + 0.001 * g2 * g2
      let mHat = m / (1 - 0.25)
      let denom = (v.squareRoot() / (1 - 0.999 * 0.999).squareRoot()) + 1e-7
      expected2.append(expected1[i] - 0.1 * mHat / denom)
    }
    #expect(close(values(p), expected2, tolerance: 1e-12))
    #expect(adam.step == 2)
  }

  @Test func adamWDecaysWeightsAndAdamAddsL2() throws {
    let p = Tensor([1.0] as [Double]).requiringGrad()
    let adamW = Adam(parameters: [("p", p)], learningRate: 0.1, weightDecay: 0.5, decoupledWeightDecay: true)
    (p * 0).sum().backward()  // zero gradient: only the decay acts
    try adamW.update()
    #expect(close(values(p), [1 * (1 - 0.1 * 0.5)], tolerance: 1e-12))

    let q = Tensor([1.0] as [Double]).requiringGrad()
    let adam = Adam(parameters: [("q", q)], learningRate: 0.1, weightDecay: 0.5)
    (q * 0).sum().backward()  // L2 makes the gradient 0.5, so Adam moves by lr
    try adam.update()
    #expect(close(values(q), [0.9], tolerance: 1e-6))
  }

  @Test func savedStateResumesExactly() throws {
    func makeModel() -> Linear {
      let model = Linear(3, 2)
      model.initialize(seed: 5)
      return model
    }
    let x = Tensor.randn([4, 3], generator: Generator(seed: 6))
    func trainStep(_ model: Linear, _ adam: Adam) throws {
      adam.zeroGrad()
      model(x).square().mean().backward()
      try adam.update()
    }
    let straight = makeModel()
    let straightAdam = Adam(straight, learningRate: 0.01, beta1: 0.5)
    for _ in 0..<6 { try trainStep(straight, straightAdam) }

    let first = makeModel()
    let firstAdam = Adam(first, learningRate: 0.01, beta1: 0.5)
    for _ in 0..<3 { try trainStep(first, firstAdam) }
    let weights = first.stateDict().mapValues { $0.clone() }
    let optimizerState = firstAdam.stateDict().mapValues { $0.clone() }

    let resumed = makeModel()
    try resumed.load(weights)
    let resumedAdam = Adam(resumed, learningRate: 0.01, beta1: 0.5)
    try resumedAdam.loadState(optimizerState)
    #expect(resumedAdam.step == 3)
    for _ in 0..<3 { try trainStep(resumed, resumedAdam) }
    for ((name, a), (_, b)) in zip(straight.namedParameters(), resumed.namedParameters()) {
      #expect(try a.bytes() == b.bytes(), "\(name) differs after resume")
    }
    #expect { try resumedAdam.loadState(["step": Tensor([1] as [Int64], shape: [])]) } throws: {
      "\($0)".contains("exp_avg.weight")
    }
  }

  @Test func emaFollowsParameters() throws {
    let model = Linear(1, 1, bias: false)
    model.weight.copy(from: Tensor([[0]] .flatMap { $0 } as [Float], shape: [1, 1]))
    let ema = ExponentialMovingAverage(of: model, decay: 0.9)
    model.weight.copy(from: Tensor([1] as [Float], shape: [1, 1]))
    try ema.update()
    try ema.update()
    // 0 → 0.1 → 0.19
    #expect(close(values(ema.stateDict()["weight"]!), [0.19], tolerance: 1e-6))
    let copy = Linear(1, 1, bias: false)
    try copy.load(ema.stateDict())
    #expect(close(values(copy.weight), [0.19], tolerance: 1e-6))
    let other = ExponentialMovingAverage(of: model, decay: 0.9)
    try other.loadState(ema.stateDict())
    #expect(close(values(other.stateDict()["weight"]!), [0.19], tolerance: 1e-6))
  }
}
