import Foundation
import Torch

/// One of the original's Keras layers and the module of ours that takes its weights.
///
/// Layouts (the original's tensors are NHWC with H = 1; ours are (batch, channels, time)):
///
/// | kind            | Keras weight                          | ours                                  |
/// |-----------------|---------------------------------------|---------------------------------------|
/// | conv            | Conv2D kernel (1, k, in, out), bias   | Conv1d weight (out, in, k), bias      |
/// | transposedConv  | Conv2DTranspose kernel (1, k, out, in)| ConvTranspose1d weight (in, out, k)   |
/// | dense           | Dense kernel (in, out), bias          | Linear weight (out, in), bias         |
/// | noise           | AddNoise noise_weight (1)             | NoiseInjection strength (1)           |
///
/// Both convolution kernels become ours by dropping H and reversing the axes, with no flip: Keras's
/// and libtorch's transposed convolutions are both the adjoint of their cross-correlation, which the
/// parity tests confirm numerically.
struct KerasLayerSpec {
  enum Kind {
    case conv, transposedConv, dense, noise

    /// (Keras weight role, our parameter name), in the order Keras lists them.
    var weights: [(role: String, parameter: String)] {
      self == .noise ? [("noise_weight", "strength")] : [("kernel", "weight"), ("bias", "bias")]
    }
  }

  let kind: Kind
  /// Our module's path within the network, e.g. "g22.conv".
  let module: String
  /// What the layer is in the original, for messages: "g22 (transposed conv k4 s2)".
  let role: String
  /// The original's explicit layer name ("0ai"); nil where Keras named it ("conv2d_7").
  let kerasName: String?

  init(_ kind: Kind, _ module: String, _ role: String, keras kerasName: String? = nil) {
    self.kind = kind
    self.module = module
    self.role = role
    self.kerasName = kerasName
  }

  /// The shape Keras stores for a weight that is `ours` in our layout.
  func kerasShape(ofOurs ours: [Int], role: String) -> [Int] {
    guard role == "kernel" else { return ours }
    switch kind {
    case .conv, .transposedConv: return [1] + ours.reversed()  // (a, b, k) → (1, k, b, a)
    case .dense: return ours.reversed()  // (out, in) → (in, out)
    case .noise: return ours
    }
  }

  /// A Keras weight in our layout.
  func ours(fromKeras tensor: Tensor, role: String) -> Tensor {
    guard role == "kernel" else { return tensor }
    switch kind {
    case .conv, .transposedConv: return tensor.squeeze(0).permute(2, 1, 0).contiguous()
    case .dense: return tensor.transposed(0, 1).contiguous()
    case .noise: return tensor
    }
  }
}

/// Loads one of our networks from a Keras weight file of the original's, through a table of its
/// layers. Every dataset of the file goes to exactly one of our parameters, and every parameter gets
/// one: a layer or dataset too many or too few, or a shape that differs, is an error naming it.
enum KerasLayerMapping {
  /// How the file's layers are paired with the table's.
  enum Matching {
    /// In the file's order: the order Keras's own `load_weights` uses, which is how the original
    /// loads its autoencoder, whose layers Keras named automatically (`conv2d_17`, numbers that
    /// depend on what else was built before it).
    case byOrder
    /// By the original's explicit layer names (the generator's "00d", "0c", "0ai", …).
    case byName
  }

  /// Loads `network` (called `networkName` in messages, e.g. "ENC2") from `file`.
  static func load(_ network: Module, named networkName: String, from file: KerasWeightsFile,
                   layers specs: [KerasLayerSpec], matching: Matching) throws {
    func fail(_ reason: String) -> MusikaError {
      .invalidInput("\(file.url.path): \(reason)")
    }
    let pairs = try pair(specs, file.layers, networkName: networkName, file: file.name, matching: matching, fail: fail)

    let parameters = Dictionary(uniqueKeysWithValues: network.namedParameters())
    var problems: [String] = []
    var tensors: [String: Tensor] = [:]
    for (spec, layer) in pairs {
      let expected = spec.kind.weights
      for weight in layer.weights where !expected.contains(where: { $0.role == weight.role }) {
        problems.append("dataset '\(weight.path)' is not a weight of \(networkName)'s \(spec.role) (which has "
          + expected.map(\.role).joined(separator: " and ") + ")")
      }
      for (role, parameter) in expected {
        let key = spec.module.isEmpty ? parameter : "\(spec.module).\(parameter)"
        guard let target = parameters[key] else {
          preconditionFailure("KerasLayerMapping: \(networkName) has no parameter '\(key)' (the layer table is wrong)")
        }
        let needed = spec.kerasShape(ofOurs: target.shape, role: role)
        guard let weight = layer.weights.first(where: { $0.role == role }) else {
          problems.append("layer '\(layer.name)' (\(networkName)'s \(spec.role)) has no \(role) dataset; "
            + "expected one of shape \(needed)")
          continue
        }
        guard weight.shape == needed else {
          problems.append("dataset '\(weight.path)' has shape \(weight.shape), but \(networkName)'s \(spec.role), "
            + "our \(key), needs \(needed)")
          continue
        }
        precondition(tensors[key] == nil, "KerasLayerMapping: \(key) is mapped twice (the layer table is wrong)")
        tensors[key] = spec.ours(fromKeras: try file.tensor(weight), role: role)
      }
    }
    guard problems.isEmpty else {
      throw fail(problems.joined(separator: "; ") + ". Is this the original's \(networkName) file, of this architecture?")
    }
    do {
      try withNoGrad { try network.load(tensors) }
    } catch {
      preconditionFailure("KerasLayerMapping: \(networkName)'s table does not cover the network: \(error)")
    }
  }

  private static func pair(_ specs: [KerasLayerSpec], _ layers: [KerasWeightsFile.Layer], networkName: String,
                           file: String, matching: Matching,
                           fail: (String) -> MusikaError) throws -> [(KerasLayerSpec, KerasWeightsFile.Layer)] {
    switch matching {
    case .byName:
      var unmatched = Dictionary(layers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
      var pairs: [(KerasLayerSpec, KerasWeightsFile.Layer)] = []
      for spec in specs {
        guard let name = spec.kerasName else { preconditionFailure("KerasLayerMapping: \(spec.module) has no Keras name") }
        guard let layer = unmatched.removeValue(forKey: name) else {
          throw fail("layer '\(name)' (\(networkName)'s \(spec.role)) is missing. Is this the original's "
            + "\(networkName) file, of this architecture?")
        }
        pairs.append((spec, layer))
      }
      let extra = layers.filter { unmatched[$0.name] != nil }
      guard extra.isEmpty else {
        throw fail("layer\(extra.count == 1 ? "" : "s") " + extra.map(\.summary).joined(separator: ", ")
          + " \(extra.count == 1 ? "is" : "are") not part of the original's \(networkName)")
      }
      return pairs
    case .byOrder:
      if layers.count > specs.count {
        let extra = layers[specs.count...]
        throw fail("\(file) has \(layers.count) layers with weights, but the original's \(networkName) has "
          + "\(specs.count): layer\(extra.count == 1 ? "" : "s") " + extra.map(\.summary).joined(separator: ", ")
          + " \(extra.count == 1 ? "has" : "have") no counterpart. Is this the \(networkName) file?")
      }
      if layers.count < specs.count {
        let missing = specs[layers.count...]
        throw fail("\(file) has \(layers.count) layers with weights, but the original's \(networkName) has "
          + "\(specs.count): the layer\(missing.count == 1 ? "" : "s") for " + missing.map(\.role).joined(separator: ", ")
          + " \(missing.count == 1 ? "is" : "are") missing. Is this the \(networkName) file?")
      }
      return Array(zip(specs, layers))
    }
  }
}
