/// Where the decoded spectrogram's phase comes from.
///
/// `decoder`: DEC's phase head, read as its `PhaseRepresentation` says (the original's way).
/// `magnitude`: integrated from DEC's magnitude alone (`PhaseGradientIntegrator`, real-time phase
/// gradient heap integration). A convolutional phase head puts a tone between two bins on a bin
/// centre, up to half a bin off pitch; from the magnitude its frequency follows exactly.
public enum PhaseSource: String, Codable, Sendable, CaseIterable {
  case decoder
  case magnitude
}

extension PhaseSource {
  /// "magnitude + 4 fast Griffin-Lim iterations", as commands report what they decode with.
  public func describe(iterations: Int) -> String {
    self == .magnitude && iterations > 0 ? "\(rawValue) + \(iterations) fast Griffin-Lim iteration\(iterations == 1 ? "" : "s")" : rawValue
  }
}
