/// The base of every layer and model. Parameters are stored tensors marked `@Parameter`; children are
/// stored properties holding modules (or arrays or optionals of them). Both are found by reflection,
/// so names follow the code: a property `up` holding `[ConvTranspose1d]` gives keys `up.0.weight`,
/// `up.1.weight`, … — the keys of the model's safetensors file.
///
/// Modules are built with zero parameters; call `initialize(seed:)` (training from scratch) or
/// `load(_:)` (trained weights) before use.
open class Module {
  public private(set) var isTraining = true
  /// Set by `packForInference()`: the weights are in the layout inference runs fastest with, and the
  /// module can no longer be trained, saved or loaded.
  public private(set) var isPackedForInference = false

  public init() {}

  // MARK: Structure

  /// Direct child modules with their keys, in declaration order.
  open func namedChildren() -> [(String, Module)] {
    var result: [(String, Module)] = []
    forEachStoredProperty { label, value in
      if let module = value as? Module {
        result.append((label, module))
      } else if let modules = value as? [Module?] {
        for (i, module) in modules.enumerated() {
          if let module { result.append(("\(label).\(i)", module)) }
        }
      }
    }
    return result
  }

  /// This module's own parameters (not its children's), with their keys.
  open func namedOwnParameters() -> [(String, Tensor)] {
    var result: [(String, Tensor)] = []
    forEachStoredProperty { label, value in
      if let p = value as? Parameter {
        result.append((p.key ?? Module.propertyName(label), p.wrappedValue))
      } else if let p = value as? OptionalParameter, let tensor = p.wrappedValue {
        result.append((p.key ?? Module.propertyName(label), tensor))
      }
    }
    return result
  }

  /// Every module in the tree with its dotted path ("" for self), parents before children. A module
  /// reachable by several paths (shared, or a back-reference to a parent) is listed once, at the
  /// first path, as in PyTorch.
  public func namedModules() -> [(String, Module)] {
    var seen: Set<ObjectIdentifier> = []
    var result: [(String, Module)] = []
    func visit(_ module: Module, _ path: String) {
      guard seen.insert(ObjectIdentifier(module)).inserted else { return }
      result.append((path, module))
      for (key, child) in module.namedChildren() {
        visit(child, path.isEmpty ? key : "\(path).\(key)")
      }
    }
    visit(self, "")
    return result
  }

  /// Every parameter in the tree with its dotted key, e.g. `decoder.up.0.weight`; a tensor shared by
  /// several modules is listed once.
  public func namedParameters() -> [(String, Tensor)] {
    var seen: Set<ObjectIdentifier> = []
    return namedModules().flatMap { path, module in
      module.namedOwnParameters().compactMap { key, tensor in
        seen.insert(ObjectIdentifier(tensor)).inserted ? (path.isEmpty ? key : "\(path).\(key)", tensor) : nil
      }
    }
  }

  public var parameters: [Tensor] { namedParameters().map(\.1) }

  /// Total number of parameter elements.
  public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

  // MARK: Modes

  /// Switches the whole tree to training (true) or evaluation (false) mode.
  public func train(_ on: Bool = true) {
    precondition(!(on && isPackedForInference), "a module packed for inference cannot train")
    for (_, module) in namedModules() { module.isTraining = on }
  }

  public func eval() { train(false) }

  /// Re-lays weights once in the layout inference uses (a transposed convolution's stride phase
  /// kernels, which its CPU forward would otherwise re-lay on every call or keep as a second copy), and
  /// switches to evaluation mode. Outputs are unchanged; the weights' file layout is gone, so only
  /// generation may follow, not training or saving. Memory: a full-size model holds ~80 MB less.
  public func packForInference() throws {
    eval()
    for (_, module) in namedModules() {
      try (module as? ConvTranspose1d)?.packWeightForInference()
      module.isPackedForInference = true
    }
  }

  /// Mixed precision for every convolution inside: computed in `dtype` (nil: in the parameters' type).
  public func setComputeDType(_ dtype: DType?) {
    for (_, module) in namedModules() {
      if let conv = module as? Conv1d { conv.computeDType = dtype }
      if let conv = module as? ConvTranspose1d { conv.computeDType = dtype }
    }
  }

  /// Makes every parameter trainable or frozen.
  public func setRequiresGrad(_ flag: Bool) {
    for p in parameters { p.requiresGrad = flag }
  }

  /// Runs `body` with every parameter frozen, then gives each its flag back. Gradients still flow
  /// through the module to its inputs; only its own weight gradients, which a caller about to discard
  /// them would compute for nothing, are skipped.
  public func frozen<T>(_ body: () throws -> T) rethrows -> T {
    let params = parameters
    let flags = params.map(\.requiresGrad)
    for p in params { p.requiresGrad = false }
    defer { for (p, flag) in zip(params, flags) { p.requiresGrad = flag } }
    return try body()
  }

  public func zeroGrad() {
    for p in parameters { p.zeroGrad() }
  }

  // MARK: Initialisation and randomness

  /// Re-initialises the module's own parameters (layers override this with their scheme).
  open func resetParameters(using generator: Generator) {}

  /// Initialises every parameter. Each module draws from a generator derived from `seed` and its
  /// path, so adding a layer does not change the initial weights of the others.
  public func initialize(seed: UInt64) {
    withNoGrad {
      for (path, module) in namedModules() {
        module.resetParameters(using: Generator(seed: seed, "init", .label(path)))
      }
    }
  }

  // MARK: Weights in and out

  /// The parameters by key, detached (sharing storage), ready for `Safetensors.write`.
  public func stateDict() -> [String: Tensor] {
    precondition(!isPackedForInference, "a module packed for inference has no file layout to save")
    return Dictionary(namedParameters().map { ($0.0, $0.1.detach()) }, uniquingKeysWith: { a, _ in a })
  }

  /// Copies `tensors` into the parameters in place (converting dtype and device as needed).
  /// `strict` requires exactly the module's keys; every missing, unexpected or mis-shaped key is
  /// named in the error.
  public func load(_ tensors: [String: Tensor], strict: Bool = true) throws {
    guard !isPackedForInference else {
      throw TorchError(op: "load", message: "the module is packed for inference; load weights into a fresh one")
    }
    let params = namedParameters()
    let expected = Set(params.map(\.0))
    var problems: [String] = []
    let missing = expected.subtracting(tensors.keys).sorted()
    let unexpected = Set(tensors.keys).subtracting(expected).sorted()
    if strict {
      if !missing.isEmpty { problems.append("missing \(missing.joined(separator: ", "))") }
      if !unexpected.isEmpty { problems.append("unexpected \(unexpected.joined(separator: ", "))") }
    }
    for (key, param) in params {
      guard let source = tensors[key] else { continue }
      if source.shape != param.shape {
        problems.append("\(key) has shape \(source.shape) in the file but \(param.shape) in the model")
      }
    }
    guard problems.isEmpty else {
      throw TorchError(op: "load", message: problems.joined(separator: "; "))
    }
    for (key, param) in params {
      if let source = tensors[key] { try param.tryCopy(from: source) }
    }
  }

  /// Moves (and optionally converts) every parameter in place, keeping tensor identities. Gradients
  /// are dropped (they would be on the old device); create optimisers after moving.
  public func to(device: Device? = nil, dtype: DType? = nil) throws {
    for p in parameters {
      p.zeroGrad()
      try p.setData(p.detach().tryTo(dtype: dtype, device: device))
    }
  }

  // MARK: Reflection

  private func forEachStoredProperty(_ body: (String, Any) -> Void) {
    var mirror: Mirror? = Mirror(reflecting: self)
    var levels: [Mirror] = []
    while let m = mirror {
      levels.append(m)
      mirror = m.superclassMirror
    }
    // Base class properties first, so declaration order reads top-down.
    for level in levels.reversed() {
      for child in level.children {
        guard var label = child.label else { continue }
        // `lazy var x` is stored as `$__lazy_storage_$_x`.
        if label.hasPrefix("$__lazy_storage_$_") { label = String(label.dropFirst("$__lazy_storage_$_".count)) }
        body(label, child.value)
      }
    }
  }

  static func propertyName(_ label: String) -> String {
    label.hasPrefix("_") ? String(label.dropFirst()) : label
  }
}

/// A module that maps one tensor to one tensor.
public protocol Layer: Module {
  func callAsFunction(_ x: Tensor) -> Tensor
}

/// Layers applied in order; children are keyed 0, 1, 2, …
public final class Sequential: Module, Layer {
  public let layers: [any Layer]

  public init(_ layers: [any Layer]) {
    self.layers = layers
  }

  override public func namedChildren() -> [(String, Module)] {
    layers.enumerated().map { ("\($0.offset)", $0.element) }
  }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    layers.reduce(x) { $1($0) }
  }
}
