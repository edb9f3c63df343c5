import CSndfile
import Foundation
import Torch

extension AudioFile {
  /// The bytes of the audio file `AudioFile.write` would write for a name ending in
  /// `.pathExtension` (wav, flac, ogg, mp3), made in memory: for servers, which send files and must
  /// not leave temporary ones behind. (channels, frames) `samples`, limited the same way.
  public static func encoded(_ samples: Tensor, sampleRate: Int, as pathExtension: String,
                             encoding: SampleEncoding = .pcm16, limiter: PeakLimiter? = PeakLimiter()) throws -> Data {
    let name = "the in-memory .\(pathExtension) file"
    guard samples.rank == 2, samples.size(0) >= 1 else {
      throw AudioError.writeFailed(file: name, reason: "expected samples of shape (channels, frames), got \(samples.shape)")
    }
    let format = try formatCode(for: pathExtension, encoding: encoding, file: name)
    let buffer = MemoryFile()
    var io = SF_VIRTUAL_IO(get_filelen: MemoryFile.length, seek: MemoryFile.seek, read: MemoryFile.read,
                           write: MemoryFile.write, tell: MemoryFile.tell)
    try withExtendedLifetime(buffer) {
      try encode(samples, sampleRate: sampleRate, format: format, limiter: limiter, file: name) { info in
        sf_open_virtual(&io, Int32(SFM_WRITE), &info, Unmanaged.passUnretained(buffer).toOpaque())
      }
    }
    return buffer.bytes
  }
}

/// A growable byte buffer with a position: the "file" behind libsndfile's virtual I/O. Encoders seek
/// back to fill in header fields (FLAC's stream info, WAV's lengths), so writes may land anywhere.
private final class MemoryFile {
  var bytes = Data()
  var position = 0

  static func from(_ pointer: UnsafeMutableRawPointer?) -> MemoryFile {
    Unmanaged<MemoryFile>.fromOpaque(pointer!).takeUnretainedValue()
  }

  static let length: sf_vio_get_filelen = { sf_count_t(from($0).bytes.count) }

  static let tell: sf_vio_tell = { sf_count_t(from($0).position) }

  static let seek: sf_vio_seek = { offset, whence, user in
    let file = from(user)
    let base = switch whence {
    case SEEK_CUR: file.position
    case SEEK_END: file.bytes.count
    default: 0
    }
    guard base + Int(offset) >= 0 else { return -1 }
    file.position = base + Int(offset)
    return sf_count_t(file.position)
  }

  static let read: sf_vio_read = { pointer, count, user in
    let file = from(user)
    let available = max(0, min(Int(count), file.bytes.count - file.position))
    guard available > 0, let pointer else { return 0 }
    file.bytes.copyBytes(to: pointer.assumingMemoryBound(to: UInt8.self), from: file.position..<file.position + available)
    file.position += available
    return sf_count_t(available)
  }

  static let write: sf_vio_write = { pointer, count, user in
    let file = from(user)
    guard let pointer, count > 0 else { return 0 }
    let end = file.position + Int(count)
    if end > file.bytes.count { file.bytes.append(Data(count: end - file.bytes.count)) }
    file.bytes.replaceSubrange(file.position..<end, with: UnsafeRawBufferPointer(start: pointer, count: Int(count)))
    file.position = end
    return count
  }
}
