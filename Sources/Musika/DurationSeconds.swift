extension Duration {
  /// The duration in seconds, for rates and real-time factors.
  public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
