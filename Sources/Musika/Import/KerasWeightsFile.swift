import Foundation
import Torch

/// A Keras 2 weight file, as `Model.save_weights("….h5")` writes it (the original Musika's TF 2.x):
///
///   /                      attribute `layer_names`: every layer of the model, in the model's order
///   /<layer>/              attribute `weight_names`: that layer's weights ("conv2d_3/kernel:0", …)
///   /<layer>/<weight name> one dataset per weight
///
/// A whole saved model (`Model.save`) keeps the same under `model_weights/`. Long name lists are
/// split into `layer_names0`, `layer_names1`, … (Keras's 64 KB attribute limit).
///
/// Reading checks the file against its own lists: a dataset that a list names but the file lacks is
/// missing, and a dataset that no list names is extra. Both are errors that name the dataset, so
/// that every dataset of the file is accounted for exactly once by the layers read from it.
struct KerasWeightsFile {
  /// One weight: its name in the layer's list and the dataset that holds it.
  struct Weight {
    /// As listed, e.g. "conv2d_3/kernel:0".
    let name: String
    /// The dataset's path in the file, e.g. "conv2d_3/conv2d_3/kernel:0".
    let path: String
    let shape: [Int]

    /// What the weight is to its layer: "kernel", "bias", "noise_weight".
    var role: String {
      let last = name.split(separator: "/").last.map(String.init) ?? name
      return last.split(separator: ":").first.map(String.init) ?? last
    }
  }

  /// A layer that has weights (layers without any are skipped).
  struct Layer {
    let name: String
    let weights: [Weight]

    /// "'conv2d_3' (conv2d_3/kernel:0 [1, 3, 64, 96], conv2d_3/bias:0 [96])", for messages.
    var summary: String {
      "'\(name)' (" + weights.map { "\($0.name) \($0.shape)" }.joined(separator: ", ") + ")"
    }
  }

  let url: URL
  /// The layers with weights, in the file's order: the order Keras's `load_weights` matches them by.
  let layers: [Layer]
  private let file: HDF5File

  /// The file's name, for messages ("enc2.h5").
  var name: String { url.lastPathComponent }

  init(_ url: URL) throws {
    self.url = url
    file = try HDF5File(url)
    let root = file.exists("model_weights") ? "model_weights" : ""
    func joined(_ a: String, _ b: String) -> String { a.isEmpty ? b : "\(a)/\(b)" }
    guard let layerNames = try Self.names("layer_names", at: root, in: file) else {
      throw MusikaError.invalidInput("\(url.path) is not a Keras weight file: it has no 'layer_names' attribute "
        + "(expected a file written by Keras's save_weights, such as the original Musika's enc.h5 or gen_ema.h5)")
    }
    var layers: [Layer] = []
    var listed: Set<String> = []
    for layerName in layerNames {
      let group = joined(root, layerName)
      guard file.exists(group) else {
        throw MusikaError.invalidInput("\(url.path): layer '\(layerName)' is listed in layer_names but has no group "
          + "in the file (damaged or incomplete file?)")
      }
      let weightNames = try Self.names("weight_names", at: group, in: file) ?? []
      var weights: [Weight] = []
      for weightName in weightNames {
        let path = joined(group, weightName)
        guard file.exists(path) else {
          throw MusikaError.invalidInput("\(url.path): dataset '\(path)' is missing: layer '\(layerName)' lists "
            + "weight '\(weightName)' but the file does not hold it (damaged or incomplete file? download it again)")
        }
        weights.append(Weight(name: weightName, path: path, shape: try file.shape(ofDataset: path)))
        listed.insert(path)
      }
      if !weights.isEmpty { layers.append(Layer(name: layerName, weights: weights)) }
    }
    // In a whole saved model, only `model_weights/` holds the model (beside it: optimiser state).
    let extra = try file.datasetPaths().filter { root.isEmpty || $0.hasPrefix(root + "/") }.filter { !listed.contains($0) }
    guard extra.isEmpty else {
      throw MusikaError.invalidInput("\(url.path): dataset\(extra.count == 1 ? "" : "s") "
        + extra.map { "'\($0)'" }.joined(separator: ", ")
        + " \(extra.count == 1 ? "is" : "are") not a weight of any layer (no weight_names lists "
        + "\(extra.count == 1 ? "it" : "them")): not a file written by Keras's save_weights, or altered since")
    }
    self.layers = layers
  }

  /// The values of `weight` as float32.
  func tensor(_ weight: Weight) throws -> Tensor {
    try file.floats(weight.path)
  }

  /// A list attribute, joining Keras's numbered chunks (`name0`, `name1`, …) when it was split.
  private static func names(_ attribute: String, at path: String, in file: HDF5File) throws -> [String]? {
    if let whole = try file.strings(attribute: attribute, at: path) { return whole }
    var chunks: [String] = []
    var index = 0
    while let chunk = try file.strings(attribute: "\(attribute)\(index)", at: path) {
      chunks += chunk
      index += 1
    }
    return index == 0 ? nil : chunks
  }
}
