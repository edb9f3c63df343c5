import Foundation

/// Turns float audio into bytes for a pipe: a WAV header whose length fields say "unknown, as long
/// as it goes" (0xFFFFFFFF, which players of endless streams accept), then little-endian PCM. Or
/// raw PCM with no header at all.
public struct PCMStreamEncoder: Sendable {
  public enum Format: String, Sendable, CaseIterable {
    /// 16-bit signed integers.
    case s16
    /// 32-bit IEEE floats.
    case f32
  }

  public let format: Format
  public let sampleRate: Int
  public let channels: Int

  public init(format: Format, sampleRate: Int, channels: Int) {
    self.format = format
    self.sampleRate = sampleRate
    self.channels = channels
  }

  public var bytesPerSample: Int { format == .s16 ? 2 : 4 }

  /// The 44-byte header of a WAV stream: of unknown length, or of `frames` frames (then it is the
  /// header `AudioFile.write` gives a 16-bit file, so a streamed file has the same bytes).
  public func wavHeader(frames: Int? = nil) -> Data {
    let dataBytes = frames.map { UInt32(clamping: $0 * channels * bytesPerSample) }
    var data = Data()
    func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
    data.append(contentsOf: Array("RIFF".utf8))
    append(dataBytes.map { $0 &+ 36 } ?? UInt32.max)
    data.append(contentsOf: Array("WAVEfmt ".utf8))
    append(UInt32(16))
    append(UInt16(format == .s16 ? 1 : 3))  // PCM or IEEE float
    append(UInt16(channels))
    append(UInt32(sampleRate))
    append(UInt32(sampleRate * channels * bytesPerSample))
    append(UInt16(channels * bytesPerSample))
    append(UInt16(bytesPerSample * 8))
    data.append(contentsOf: Array("data".utf8))
    append(dataBytes ?? UInt32.max)
    return data
  }

  /// Interleaved samples → little-endian PCM bytes. Integers are clipped to ±1 first, then scaled by
  /// 32767 and rounded to nearest (ties to even): libsndfile's conversion, so a stream and a 16-bit
  /// file written by `AudioFile.write` hold the same integers.
  public func encode(_ interleaved: [Float]) -> Data {
    switch format {
    case .s16:
      var out = [Int16](repeating: 0, count: interleaved.count)
      for i in interleaved.indices {
        let scaled = (max(-1, min(1, interleaved[i])) * Float(32767)).rounded(.toNearestOrEven)
        out[i] = Int16(scaled).littleEndian
      }
      return out.withUnsafeBytes { Data($0) }
    case .f32:
      return interleaved.map { $0.bitPattern.littleEndian }.withUnsafeBytes { Data($0) }
    }
  }
}
