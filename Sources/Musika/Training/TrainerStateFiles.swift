import Foundation
import Torch

/// The two files every trainer writes into its checkpoint folders beside its weights: its state
/// (`trainer.json`: step, options, learning rates, training time) and its optimisers' moments
/// (`optimizer.safetensors`, keys prefixed by each optimiser's name). One place reads and writes them
/// for the codec and the GAN trainer, so a damaged file is reported the same way for both.
enum TrainerStateFiles {
  static let stateFile = "trainer.json"
  static let optimizerFile = "optimizer.safetensors"

  /// Writes `state` and the named optimisers' states into `folder`.
  static func write<State: Encodable>(_ state: State, optimizers: [(String, Adam)], into folder: URL) throws {
    var moments: [String: Tensor] = [:]
    for (prefix, optimizer) in optimizers {
      for (key, value) in optimizer.stateDict() { moments["\(prefix).\(key)"] = value }
    }
    try Safetensors.write(moments, to: folder.appendingPathComponent(optimizerFile))
    try JSONEncoder.pretty.encode(state).write(to: folder.appendingPathComponent(stateFile))
  }

  /// The trainer state in `folder`; a missing or damaged file is an error naming it and the way out.
  static func readState<State: Decodable>(_ type: State.Type, in folder: URL) throws -> State {
    let url = folder.appendingPathComponent(stateFile)
    do {
      return try JSONDecoder().decode(State.self, from: Data(contentsOf: url))
    } catch {
      throw MusikaError.invalidInput("\(url.path) is missing or damaged (\(error)); delete the run folder to start over")
    }
  }

  /// Loads each named optimiser's state from `folder` (written by `write`). Those named in `mayLack`
  /// keep their fresh state when the file has nothing of theirs (a checkpoint from before they existed).
  static func loadOptimizers(_ optimizers: [(String, Adam)], from folder: URL, mayLack: Set<String> = []) throws {
    let moments = try Safetensors.read(folder.appendingPathComponent(optimizerFile)).tensors
    for (prefix, optimizer) in optimizers {
      let part = moments.filter { $0.key.hasPrefix(prefix + ".") }
      if part.isEmpty, mayLack.contains(prefix) { continue }
      try optimizer.loadState(Dictionary(uniqueKeysWithValues: part.map { (String($0.key.dropFirst(prefix.count + 1)), $0.value) }))
    }
  }
}
