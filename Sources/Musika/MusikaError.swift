/// Errors of the Musika system; each message names what was wrong and how to fix it.
public enum MusikaError: Error, CustomStringConvertible, Equatable {
  case invalidConfig(String)
  case invalidInput(String)
  case trainingDiverged(step: Int, metric: String, value: Double)

  public var description: String {
    switch self {
    case .invalidConfig(let message): "invalid configuration: \(message)"
    case .invalidInput(let message): "invalid input: \(message)"
    case .trainingDiverged(let step, let metric, let value): "training diverged at step \(step): \(metric) is \(value)"
    }
  }
}
