import Foundation
import Yams

/// The files the studio serves as they are, from the package's resources: the page (Page/) and the
/// API's description (openapi.yaml, also the source the server code is generated from).
enum StudioResources {
  /// The folder with index.html, studio.js and player-worklet.js.
  static func pageFolder() throws -> String {
    guard let url = Bundle.module.url(forResource: "Page", withExtension: nil) else {
      throw StudioError(.internalServerError, "the studio's page is missing from \(Bundle.module.bundlePath); rebuild musika")
    }
    return url.path
  }

  /// openapi.yaml as it is, and as JSON.
  static func openAPISpec() throws -> (yaml: Data, json: Data) {
    guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
      throw StudioError(.internalServerError, "openapi.yaml is missing from \(Bundle.module.bundlePath); rebuild musika")
    }
    let yaml = try Data(contentsOf: url)
    let document = try Yams.load(yaml: String(decoding: yaml, as: UTF8.self))
    let json = try JSONSerialization.data(withJSONObject: jsonObject(document as Any), options: [.sortedKeys])
    return (yaml, json)
  }

  /// YAML's mappings (keyed by AnyHashable) as JSON objects (keyed by String).
  private static func jsonObject(_ value: Any) -> Any {
    switch value {
    case let mapping as [AnyHashable: Any]:
      return Dictionary(uniqueKeysWithValues: mapping.map { ("\($0.key.base)", jsonObject($0.value)) })
    case let sequence as [Any]:
      return sequence.map(jsonObject)
    default:
      return value
    }
  }
}
