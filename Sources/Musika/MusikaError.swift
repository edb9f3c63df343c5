/// Errors of the Musika system; each message names what was wrong and how to fix it.
public enum MusikaError: Error, CustomStringConvertible, Equatable {
  case invalidConfig(String)
  case invalidInput(String)

  public var description: String {
    switch self {
    case .invalidConfig(let message): "invalid configuration: \(message)"
    case .invalidInput(let message): "invalid input: \(message)"
    }
  }
}
