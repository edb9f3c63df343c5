import Foundation
import Musika

/// Where the models that ship in the repository's `models/` folder are, so that `generate`,
/// `stream` and `serve` work without --model/--models on a fresh clone. Looked up in this order:
/// $MUSIKA_MODELS, ./models, then a `models` folder beside an ancestor of the executable
/// (`.build/release/musika` lives three levels below the repository root).
enum BundledModels {
  static let defaultModel = "techno"

  static func folder() -> URL? {
    let fm = FileManager.default
    func holdsModels(_ url: URL) -> Bool {
      fm.fileExists(atPath: url.appendingPathComponent(defaultModel).appendingPathComponent("config.json").path)
    }
    if let path = ProcessInfo.processInfo.environment["MUSIKA_MODELS"], !path.isEmpty {
      return URL(fileURLWithPath: path)
    }
    let here = URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent("models")
    if holdsModels(here) { return here }
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<5 {
      let candidate = directory.appendingPathComponent("models")
      if holdsModels(candidate) { return candidate }
      directory.deleteLastPathComponent()
    }
    return nil
  }

  /// The default model's folder, or an error that says how to get a model.
  static func defaultModelPath(option: String) throws -> String {
    guard let folder = folder() else {
      throw MusikaError.invalidInput("no --\(option) given and no bundled models found (looked in $MUSIKA_MODELS, "
        + "./models and beside the executable); pass --\(option) PATH, e.g. a training run's OUT_DIR/model")
    }
    return folder.appendingPathComponent(defaultModel).path
  }
}
