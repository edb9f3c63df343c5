import Audio
import Foundation
import Musika
import Torch

/// A clip on its way to a client: the file's bytes as they are made, and what to say about it.
public struct ClipRender: Sendable {
  public let format: ClipRequest.Format
  /// The command line that makes the same file.
  public let command: String
  public let fileName: String
  /// The file's length in bytes, known before it is made.
  public let byteCount: Int
  /// The file, piece by piece; each piece is made when the reader asks for it.
  public let bytes: AsyncThrowingStream<ArraySlice<UInt8>, Error>
}

/// Something held while a response is made (a place among the concurrent renders, an open stream),
/// given back when the lease goes away: after the last byte, or when a client that hung up drops
/// its reader.
final class Lease: Sendable {
  private let release: @Sendable () -> Void

  init(release: @escaping @Sendable () -> Void) { self.release = release }

  deinit { release() }
}

/// A `MusicStream` as a 16-bit stereo WAV file, made chunk by chunk as the reader pulls: the same
/// limiter and integer conversion as `AudioFile.write`, so a clip streamed out equals the file
/// `musika generate` writes, byte for byte. With no length it never ends (the header says "unknown").
final class WAVStreamWriter: @unchecked Sendable {
  private let read: () throws -> Tensor
  private let encoder: PCMStreamEncoder
  private let totalFrames: Int?
  private var resource: AnyObject?
  private let lock = NSLock()
  private var limiter = StreamingPeakLimiter(channels: 2)
  private var framesRead = 0
  private var headerSent = false
  private var finished = false
  private var pulls = 0
  private var abandoned = false

  /// A reader that asks for nothing for this long is taken for gone: the lease is given back (its
  /// render place or stream freed for others) and the file ends there.
  private let patienceSeconds: Double

  /// The bytes of the whole file, when it has a length.
  var byteCount: Int? { totalFrames.map { 44 + $0 * 2 * encoder.bytesPerSample } }

  /// `read` gives the next (2, frames) chunk; `resource` (a render slot, a stream's lease) lives as
  /// long as this writer.
  init(sampleRate: Int, frames: Int?, holding resource: AnyObject? = nil, patienceSeconds: Double = 30,
       read: @escaping () throws -> Tensor) {
    self.patienceSeconds = patienceSeconds
    encoder = PCMStreamEncoder(format: .s16, sampleRate: sampleRate, channels: 2)
    totalFrames = frames
    self.resource = resource
    self.read = read
  }

  /// A clip of `seconds` (checked by the service) from `stream`.
  convenience init(stream: MusicStream, seconds: Double, slot: Lease, patienceSeconds: Double) {
    self.init(sampleRate: stream.sampleRate, frames: Int((seconds * Double(stream.sampleRate)).rounded()), holding: slot,
              patienceSeconds: patienceSeconds, read: stream.read)
  }

  /// The next piece of the file, or nil after its last byte.
  func next() throws -> ArraySlice<UInt8>? {
    let piece = try lock.withLock { () throws -> ArraySlice<UInt8>? in
      if abandoned { throw StudioError(.requestTimeout, "the client stopped reading for over \(patienceSeconds) s") }
      pulls += 1
      if finished { return nil }
      if !headerSent {
        headerSent = true
        return ArraySlice(encoder.wavHeader(frames: totalFrames))
      }
      var chunk = try read()
      if let totalFrames, framesRead + chunk.size(1) >= totalFrames {
        chunk = chunk.narrow(dim: 1, start: 0, length: totalFrames - framesRead)
        finished = true
      }
      framesRead += chunk.size(1)
      var samples = limiter.process(chunk.transposed(0, 1).contiguous().toArray(of: Float.self))  // interleaved
      if finished {
        samples += limiter.finish()
        resource = nil  // the last chunk is made: give the render place (or the stream) back now
      }
      return ArraySlice(encoder.encode(samples))
    }
    watch()
    return piece
  }

  /// Gives the lease back if no next piece is asked for within `patienceSeconds` (a reader that went
  /// silent without closing the connection would otherwise hold a render place for ever).
  private func watch() {
    let seen = lock.withLock { pulls }
    DispatchQueue.global().asyncAfter(deadline: .now() + patienceSeconds) { [weak self] in
      guard let self else { return }
      self.lock.withLock {
        guard self.pulls == seen, !self.finished || self.resource != nil else { return }
        self.abandoned = true
        self.resource = nil
      }
    }
  }
}
