import CTorch

/// Adam (Kingma & Ba) and AdamW (decoupled weight decay), with the same arithmetic as torch.optim,
/// including a step count per parameter (a parameter without a gradient is skipped and its count
/// does not advance). The moment estimates are ordinary tensors held here, so `stateDict()` can go
/// into a checkpoint and `loadState(_:)` resumes bit for bit.
public final class Adam {
  public let parameters: [(name: String, tensor: Tensor)]
  public var learningRate: Double
  public let beta1: Double
  public let beta2: Double
  public let epsilon: Double
  public let weightDecay: Double
  /// true: AdamW (p ← p·(1 − lr·wd)); false: Adam's L2 term (g ← g + wd·p).
  public let decoupledWeightDecay: Bool
  /// Calls of `update()` so far.
  public private(set) var step: Int = 0
  /// Updates each parameter has had.
  private var parameterSteps: [Int64]
  private var expAvg: [Tensor]
  private var expAvgSq: [Tensor]

  /// Defaults are PyTorch's (β = (0.9, 0.999), ε = 1e-8); Musika's GAN uses β1 = 0.5.
  public init(parameters: [(String, Tensor)], learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.999,
              epsilon: Double = 1e-8, weightDecay: Double = 0, decoupledWeightDecay: Bool = false) {
    self.parameters = parameters.map { (name: $0.0, tensor: $0.1) }
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    self.decoupledWeightDecay = decoupledWeightDecay
    parameterSteps = [Int64](repeating: 0, count: parameters.count)
    expAvg = parameters.map { Tensor.zeros($0.1.shape, dtype: $0.1.dtype, device: $0.1.device) }
    expAvgSq = parameters.map { Tensor.zeros($0.1.shape, dtype: $0.1.dtype, device: $0.1.device) }
  }

  /// Adam over all parameters of a module.
  public convenience init(_ module: Module, learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.999,
                          epsilon: Double = 1e-8, weightDecay: Double = 0, decoupledWeightDecay: Bool = false) {
    self.init(parameters: module.namedParameters(), learningRate: learningRate, beta1: beta1, beta2: beta2,
              epsilon: epsilon, weightDecay: weightDecay, decoupledWeightDecay: decoupledWeightDecay)
  }

  /// AdamW with PyTorch's defaults (weight decay 0.01).
  public static func adamW(_ module: Module, learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.999,
                           epsilon: Double = 1e-8, weightDecay: Double = 0.01) -> Adam {
    Adam(module, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
         decoupledWeightDecay: true)
  }

  /// Applies one update from the parameters' accumulated gradients (those without one are skipped).
  public func update() throws {
    try withHandles(parameters.map(\.tensor)) { ps, n in
      try withHandles(expAvg) { ms, _ in
        try withHandles(expAvgSq) { vs, _ in
          try parameterSteps.withUnsafeMutableBufferPointer { steps in
            try check("adam_step",
                      ct_optim_adam_step(ps, ms, vs, steps.baseAddress, n, learningRate, beta1, beta2, epsilon,
                                         weightDecay, decoupledWeightDecay ? 1 : 0))
          }
        }
      }
    }
    step += 1
  }

  /// Drops the gradients of all parameters.
  public func zeroGrad() {
    for p in parameters { p.tensor.zeroGrad() }
  }

  /// The optimiser's state by key: `exp_avg.NAME`, `exp_avg_sq.NAME`, `step.NAME` and `step` (int64).
  public func stateDict() -> [String: Tensor] {
    var state: [String: Tensor] = ["step": Tensor([Int64(step)], shape: [])]
    for (i, p) in parameters.enumerated() {
      state["exp_avg.\(p.name)"] = expAvg[i]
      state["exp_avg_sq.\(p.name)"] = expAvgSq[i]
      state["step.\(p.name)"] = Tensor([parameterSteps[i]], shape: [])
    }
    return state
  }

  /// Restores a `stateDict()`; every key must be present with the parameter's shape.
  public func loadState(_ state: [String: Tensor]) throws {
    guard let stepTensor = state["step"], stepTensor.count == 1 else {
      throw TorchError(op: "adam.load", message: "optimizer state has no 'step'")
    }
    for (i, p) in parameters.enumerated() {
      for (prefix, target) in [("exp_avg", expAvg[i]), ("exp_avg_sq", expAvgSq[i])] {
        guard let source = state["\(prefix).\(p.name)"] else {
          throw TorchError(op: "adam.load", message: "optimizer state has no '\(prefix).\(p.name)'")
        }
        guard source.shape == target.shape else {
          throw TorchError(op: "adam.load",
                           message: "'\(prefix).\(p.name)' has shape \(source.shape), expected \(target.shape)")
        }
        try target.tryCopy(from: source)
      }
      guard let count = state["step.\(p.name)"], count.count == 1 else {
        throw TorchError(op: "adam.load", message: "optimizer state has no 'step.\(p.name)'")
      }
      parameterSteps[i] = Int64(count.itemInt())
    }
    step = stepTensor.itemInt()
  }
}
