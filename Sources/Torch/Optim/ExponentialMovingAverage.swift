import CTorch

/// An exponential moving average of a module's parameters (the GAN's `gen_ema`):
/// shadow ← decay·shadow + (1 − decay)·param after every step.
public final class ExponentialMovingAverage {
  public let decay: Double
  private let sources: [(name: String, tensor: Tensor)]
  /// The averaged values, keyed like the module's parameters.
  public let shadow: [(name: String, tensor: Tensor)]

  /// Starts the average at the module's current parameters.
  public init(of module: Module, decay: Double = 0.999) {
    self.decay = decay
    sources = module.namedParameters().map { (name: $0.0, tensor: $0.1) }
    shadow = sources.map { (name: $0.name, tensor: $0.tensor.detach().clone()) }
  }

  /// Moves the average one step towards the current parameters.
  public func update() throws {
    try withHandles(shadow.map(\.tensor)) { ss, n in
      try withHandles(sources.map(\.tensor)) { ps, _ in
        try check("ema_update", ct_ema_update(ss, ps, n, decay))
      }
    }
  }

  /// The averaged weights by key, e.g. to save or to `load` into a copy of the module.
  public func stateDict() -> [String: Tensor] {
    Dictionary(shadow.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
  }

  /// Restores saved averages (for an exact resume).
  public func loadState(_ state: [String: Tensor]) throws {
    for entry in shadow {
      guard let source = state[entry.name] else {
        throw TorchError(op: "ema.load", message: "EMA state has no '\(entry.name)'")
      }
      guard source.shape == entry.tensor.shape else {
        throw TorchError(op: "ema.load", message: "'\(entry.name)' has shape \(source.shape), expected \(entry.tensor.shape)")
      }
      try entry.tensor.tryCopy(from: source)
    }
  }
}
