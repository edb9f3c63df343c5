import CSoxr

/// Sample-rate conversion with libsoxr at its high-quality setting (20-bit, linear phase), the
/// replacement for the original's low-quality pydub resampler.
public struct Resampler: Sendable {
  public let inputRate: Int
  public let outputRate: Int

  public init(from inputRate: Int, to outputRate: Int) {
    self.inputRate = inputRate
    self.outputRate = outputRate
  }

  /// Interleaved float samples with `channels` channels → interleaved samples at the output rate.
  public func process(_ interleaved: [Float], channels: Int) throws -> [Float] {
    guard inputRate != outputRate, !interleaved.isEmpty else { return interleaved }
    let frames = interleaved.count / channels
    let capacity = Int((Double(frames) * Double(outputRate) / Double(inputRate)).rounded(.up)) + 16
    var output = [Float](repeating: 0, count: capacity * channels)
    var done = 0
    var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
    var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
    let error = interleaved.withUnsafeBufferPointer { input in
      output.withUnsafeMutableBufferPointer { out in
        soxr_oneshot(Double(inputRate), Double(outputRate), UInt32(channels), input.baseAddress, frames, nil,
                     out.baseAddress, capacity, &done, &io, &quality, nil)
      }
    }
    if let error { throw AudioError.resampleFailed(reason: String(cString: error)) }
    return Array(output.prefix(done * channels))
  }
}
