import CSndfile
import Foundation
import Torch

/// What a file holds, before any conversion.
public struct AudioInfo: Sendable, Equatable {
  public let sampleRate: Int
  public let channels: Int
  public let frames: Int
  /// libsndfile's name of the container, e.g. "WAV (Microsoft)".
  public let format: String

  public var duration: Double { Double(frames) / Double(sampleRate) }
}

/// Audio decoded to the model's layout: stereo, float32, at the requested rate.
public struct DecodedAudio: @unchecked Sendable {
  /// (2, frames), float32.
  public let samples: Tensor
  public let sampleRate: Int
  /// What was done on the way (resampled, mono duplicated, channels mixed down), for the user.
  public let notes: [String]

  public var frames: Int { samples.size(1) }
  public var duration: Double { Double(frames) / Double(sampleRate) }
}

/// Output encodings; the container follows the file extension.
public enum SampleEncoding: String, Sendable, CaseIterable {
  case pcm16, pcm24, float32
}

/// Reading and writing audio files through libsndfile: WAV, FLAC, OGG/Vorbis and MP3 (and whatever
/// else the installed libsndfile reads), any sample rate, any channel count.
public enum AudioFile {
  public static func info(_ url: URL) throws -> AudioInfo {
    let (file, info) = try open(url)
    defer { sf_close(file) }
    return AudioInfo(sampleRate: Int(info.samplerate), channels: Int(info.channels), frames: Int(info.frames),
                     format: formatName(info.format))
  }

  /// Reads the whole file as stereo float32, resampled (libsoxr, high quality) to `sampleRate` if
  /// given. Mono is duplicated to both channels (the original skipped mono files); more than two
  /// channels are mixed down (5.1 by the ITU matrix, others by alternating left/right) with a note.
  public static func read(_ url: URL, sampleRate target: Int? = nil) throws -> DecodedAudio {
    let (file, info) = try open(url)
    defer { sf_close(file) }
    let channels = Int(info.channels)
    let frames = Int(info.frames)
    guard frames > 0, channels > 0 else { throw AudioError.empty(file: url.path) }

    var interleaved = [Float](repeating: 0, count: frames * channels)
    var read = 0
    interleaved.withUnsafeMutableBufferPointer { buffer in
      // Read in blocks, so a file whose data ends early is noticed rather than zero-filled.
      while read < frames {
        let block = min(65_536, frames - read)
        let got = Int(sf_readf_float(file, buffer.baseAddress! + read * channels, sf_count_t(block)))
        if got <= 0 { break }
        read += got
      }
    }
    guard read == frames else {
      throw AudioError.truncated(file: url.path, expectedFrames: frames, readFrames: read)
    }
    if let promised = promisedFrames(file, frames: frames), promised > frames {
      throw AudioError.truncated(file: url.path, expectedFrames: promised, readFrames: frames)
    }

    var notes: [String] = []
    var stereo = ChannelMixer.toStereo(interleaved, channels: channels)
    if channels == 1 { notes.append("mono: duplicated to both channels") }
    if channels > 2 { notes.append("\(channels) channels: mixed down to stereo") }
    var rate = Int(info.samplerate)
    if let target, target != rate {
      stereo = try Resampler(from: rate, to: target).process(stereo, channels: 2)
      notes.append("resampled from \(rate) Hz to \(target) Hz")
      rate = target
    }
    guard !stereo.isEmpty else { throw AudioError.empty(file: url.path) }
    let samples = Tensor(stereo, shape: [stereo.count / 2, 2]).transposed(0, 1).contiguous()
    return DecodedAudio(samples: samples, sampleRate: rate, notes: notes)
  }

  /// Writes (channels, frames) samples; the container follows the extension (.wav, .flac, .ogg,
  /// .mp3). Peaks above the limiter's ceiling are limited, not clipped. The file appears complete or
  /// not at all: it is written beside the target and renamed.
  public static func write(_ samples: Tensor, sampleRate: Int, to url: URL, encoding: SampleEncoding = .pcm16,
                           limiter: PeakLimiter? = PeakLimiter()) throws {
    guard samples.rank == 2, samples.size(0) >= 1 else {
      throw AudioError.writeFailed(file: url.path, reason: "expected samples of shape (channels, frames), got \(samples.shape)")
    }
    let channels = samples.size(0)
    let format = try formatCode(for: url, encoding: encoding)
    var interleaved = samples.transposed(0, 1).contiguous().toArray(of: Float.self)
    limiter?.apply(&interleaved, channels: channels)

    let temporary = url.deletingLastPathComponent()
      .appendingPathComponent(".\(url.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)")
    var info = SF_INFO(frames: 0, samplerate: Int32(sampleRate), channels: Int32(channels), format: format,
                       sections: 0, seekable: 0)
    guard sf_format_check(&info) != 0 else {
      throw AudioError.writeFailed(file: url.path, reason: "\(channels) channels at \(sampleRate) Hz cannot be stored in this format")
    }
    guard let file = sf_open(temporary.path, Int32(SFM_WRITE), &info) else {
      throw AudioError.writeFailed(file: url.path, reason: String(cString: sf_strerror(nil)))
    }
    // Integer formats: let libsndfile scale ±1.0 to the full integer range without its own clipping.
    sf_command(file, Int32(SFC_SET_NORM_FLOAT), nil, Int32(SF_TRUE))
    let frames = interleaved.count / channels
    let written = interleaved.withUnsafeBufferPointer { sf_writef_float(file, $0.baseAddress, sf_count_t(frames)) }
    let closeStatus = sf_close(file)
    guard written == frames, closeStatus == 0 else {
      try? FileManager.default.removeItem(at: temporary)
      throw AudioError.writeFailed(file: url.path, reason: "only \(written) of \(frames) frames were written")
    }
    guard rename(temporary.path, url.path) == 0 else {
      try? FileManager.default.removeItem(at: temporary)
      throw AudioError.writeFailed(file: url.path, reason: String(cString: strerror(errno)))
    }
  }

  // MARK: libsndfile details

  private static func open(_ url: URL) throws -> (OpaquePointer, SF_INFO) {
    var info = SF_INFO()
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
      throw AudioError.unreadable(file: url.path, reason: "no such file")
    }
    guard !isDirectory.boolValue else { throw AudioError.unreadable(file: url.path, reason: "it is a folder") }
    guard let file = sf_open(url.path, Int32(SFM_READ), &info) else {
      let reason = String(cString: sf_strerror(nil))
      if let size = try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int, size == 0 {
        throw AudioError.empty(file: url.path)
      }
      throw AudioError.unreadable(file: url.path, reason: reason)
    }
    return (file, info)
  }

  /// libsndfile shortens a WAV/AIFF whose data chunk runs past the end of the file to the frames
  /// present and logs "data : CLAIMED (should be PRESENT)". The frames the header promised, if so.
  /// Streaming writers put 0 or 0xFFFFFFFF in that field for "unknown length"; those are not truncation.
  private static func promisedFrames(_ file: OpaquePointer, frames: Int) -> Int? {
    var log = [CChar](repeating: 0, count: 16_384)
    sf_command(file, Int32(SFC_GET_LOG_INFO), &log, Int32(log.count))
    let text = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    for line in text.split(separator: "\n") where line.hasPrefix("data") && line.contains("(should be") {
      let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
      guard numbers.count >= 2, numbers[1] > 0, numbers[0] > numbers[1], numbers[0] != 0xFFFF_FFFF else { continue }
      let bytesPerFrame = max(1, Int((Double(numbers[1]) / Double(frames)).rounded()))
      return numbers[0] / bytesPerFrame
    }
    return nil
  }

  private static func formatCode(for url: URL, encoding: SampleEncoding) throws -> Int32 {
    let subtype: Int32 = switch encoding {
    case .pcm16: Int32(SF_FORMAT_PCM_16)
    case .pcm24: Int32(SF_FORMAT_PCM_24)
    case .float32: Int32(SF_FORMAT_FLOAT)
    }
    switch url.pathExtension.lowercased() {
    case "wav": return Int32(SF_FORMAT_WAV) | subtype
    case "flac": return Int32(SF_FORMAT_FLAC) | (encoding == .pcm24 ? Int32(SF_FORMAT_PCM_24) : Int32(SF_FORMAT_PCM_16))
    case "ogg", "oga": return Int32(SF_FORMAT_OGG) | Int32(SF_FORMAT_VORBIS)
    case "mp3": return Int32(SF_FORMAT_MPEG) | Int32(SF_FORMAT_MPEG_LAYER_III)
    default: throw AudioError.unsupportedExtension(file: url.path)
    }
  }

  private static func formatName(_ format: Int32) -> String {
    var info = SF_FORMAT_INFO(format: format & Int32(SF_FORMAT_TYPEMASK), name: nil, extension: nil)
    guard sf_command(nil, Int32(SFC_GET_FORMAT_INFO), &info, Int32(MemoryLayout<SF_FORMAT_INFO>.size)) == 0,
          let name = info.name else { return "unknown" }
    return String(cString: name)
  }
}

/// Channel conversion to stereo.
enum ChannelMixer {
  /// Interleaved samples with `channels` channels → interleaved stereo.
  static func toStereo(_ samples: [Float], channels: Int) -> [Float] {
    let frames = samples.count / channels
    switch channels {
    case 2:
      return samples
    case 1:
      var out = [Float](repeating: 0, count: frames * 2)
      for f in 0..<frames {
        out[2 * f] = samples[f]
        out[2 * f + 1] = samples[f]
      }
      return out
    case 6:
      // 5.1 in WAV order (L, R, C, LFE, Ls, Rs), ITU-R BS.775 down-mix without the LFE, scaled so a
      // full-scale signal in every channel stays at full scale.
      let k: Float = 0.707_106_77
      let norm = 1 / (1 + 2 * k)
      var out = [Float](repeating: 0, count: frames * 2)
      for f in 0..<frames {
        let s = f * 6
        out[2 * f] = (samples[s] + k * samples[s + 2] + k * samples[s + 4]) * norm
        out[2 * f + 1] = (samples[s + 1] + k * samples[s + 2] + k * samples[s + 5]) * norm
      }
      return out
    default:
      // Unknown layout: even channels to the left, odd to the right, averaged.
      let left = (channels + 1) / 2
      let right = channels / 2
      var out = [Float](repeating: 0, count: frames * 2)
      for f in 0..<frames {
        var l: Float = 0
        var r: Float = 0
        for c in 0..<channels {
          if c % 2 == 0 { l += samples[f * channels + c] } else { r += samples[f * channels + c] }
        }
        out[2 * f] = l / Float(left)
        out[2 * f + 1] = r / Float(right)
      }
      return out
    }
  }
}
