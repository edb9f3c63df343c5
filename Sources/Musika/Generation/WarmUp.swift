extension GANModel {
  /// Runs the first chunk of a throwaway stream, so that the kernels a stream's first chunk needs
  /// (oneDNN builds its convolution primitives on first use of each shape) exist before a listener
  /// asks for audio: the first audio of every stream on this model then comes at warm speed. Call it
  /// once after loading (and after `setDecoderPrecision`) where a model waits before its first stream,
  /// as in the studio. Returns the seconds it took.
  @discardableResult
  public func warmUp() throws -> Double {
    let clock = ContinuousClock()
    let began = clock.now
    let controls = GenerationControls(seed: 0, truncation: config.defaultTruncation).completed(for: config)
    _ = try MusicStream(model: self, controls: controls).read()
    return (clock.now - began).seconds
  }
}
