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
    // libsndfile says SF_COUNT_MAX frames when a stream cannot tell its length (a cut-off Ogg): read
    // such a file to its end. The buffer grows as frames arrive, so no header's claim is allocated.
    let unknownLength = info.frames == sf_count_t(Int64.max)
    var listed = Int(info.frames)
    guard listed > 0, channels > 0 else { throw AudioError.empty(file: url.path) }

    var interleaved: [Float] = []
    interleaved.reserveCapacity(min(listed, 10 * 60 * 48_000) * min(channels, 2))
    let blockFrames = max(1, (1 << 20) / channels)
    var read = 0
    // Read in blocks straight onto the end of the buffer, so a file whose data ends early is noticed
    // rather than zero-filled.
    while unknownLength || read < listed {
      let want = unknownLength ? blockFrames : min(blockFrames, listed - read)
      interleaved.append(contentsOf: repeatElement(0, count: want * channels))
      let got = interleaved.withUnsafeMutableBufferPointer {
        Int(sf_readf_float(file, $0.baseAddress! + read * channels, sf_count_t(want)))
      }
      interleaved.removeLast((want - max(got, 0)) * channels)
      if got <= 0 { break }
      read += got
    }
    if unknownLength {
      guard read > 0 else { throw AudioError.unreadable(file: url.path, reason: "no audio could be decoded (a cut-off or damaged stream)") }
      listed = read
    }
    // Ogg lengths come from granule positions, which can count samples that decoding never yields:
    // decoder delay (10 frames in Debian's warzone2100-music), or a last page whose granule runs past
    // its packets (25 and 132 ms in naev-data's and wesnoth's music). Up to 0.25 s short, an Ogg file
    // is read as far as it goes, with a note; more is a cut-off file. Other containers must be whole.
    let isOgg = info.format & Int32(SF_FORMAT_TYPEMASK) == Int32(SF_FORMAT_OGG)
    let tolerated = isOgg ? Int(info.samplerate) / 4 : 0
    guard read == listed || (read > 0 && listed - read <= tolerated) else {
      throw AudioError.truncated(file: url.path, expectedFrames: listed, readFrames: read)
    }
    let frames = read  // the buffer holds exactly these: the loop above keeps only what was decoded
    if let promised = promisedFrames(file, frames: frames), promised > frames {
      throw AudioError.truncated(file: url.path, expectedFrames: promised, readFrames: frames)
    }

    var notes: [String] = []
    if unknownLength {
      notes.append(String(format: "its length is not in the file (cut off?): read the %.1f s that decode",
                          Double(frames) / Double(info.samplerate)))
    }
    if listed - frames > Int(info.samplerate) / 50 {  // beyond decoder delay: say so
      notes.append(String(format: "ends %.0f ms before its Ogg granule positions say: read as far as it goes",
                          Double(listed - frames) * 1000 / Double(info.samplerate)))
    }
    var stereo = Tensor(interleaved, shape: [frames, channels])  // (frames, channels)
    if channels != 2 { stereo = stereo.matmul(ChannelMixer.matrix(channels: channels)) }  // (frames, 2)
    if channels == 1 { notes.append("mono: duplicated to both channels") }
    if channels > 2 { notes.append("\(channels) channels: mixed down to stereo") }
    var rate = Int(info.samplerate)
    if let target, target != rate {
      let resampled = try Resampler(from: rate, to: target).process(stereo.toArray(of: Float.self), channels: 2)
      guard !resampled.isEmpty else { throw AudioError.empty(file: url.path) }
      stereo = Tensor(resampled, shape: [resampled.count / 2, 2])
      notes.append("resampled from \(rate) Hz to \(target) Hz")
      rate = target
    }
    return DecodedAudio(samples: stereo.transposed(0, 1).contiguous(), sampleRate: rate, notes: notes)
  }

  /// Writes (channels, frames) samples; the container follows the extension (.wav, .flac, .ogg,
  /// .mp3). Peaks above the limiter's ceiling are limited, not clipped. The file appears complete or
  /// not at all: it is written beside the target and renamed.
  public static func write(_ samples: Tensor, sampleRate: Int, to url: URL, encoding: SampleEncoding = .pcm16,
                           limiter: PeakLimiter? = PeakLimiter()) throws {
    guard samples.rank == 2, samples.size(0) >= 1 else {
      throw AudioError.writeFailed(file: url.path, reason: "expected samples of shape (channels, frames), got \(samples.shape)")
    }
    let format = try formatCode(for: url.pathExtension, encoding: encoding, file: url.path)
    let temporary = url.deletingLastPathComponent()
      .appendingPathComponent(".\(url.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)")
    do {
      try encode(samples, sampleRate: sampleRate, format: format, limiter: limiter, file: url.path) { info in
        sf_open(temporary.path, Int32(SFM_WRITE), &info)
      }
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      throw error
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

  /// Limits (channels, frames) `samples`, then writes them through the libsndfile handle `open`
  /// returns (a file, or memory); `file` names the destination in errors.
  static func encode(_ samples: Tensor, sampleRate: Int, format: Int32, limiter: PeakLimiter?, file: String,
                     open: (inout SF_INFO) -> OpaquePointer?) throws {
    let channels = samples.size(0)
    var interleaved = samples.transposed(0, 1).contiguous().toArray(of: Float.self)
    limiter?.apply(&interleaved, channels: channels)
    var info = SF_INFO(frames: 0, samplerate: Int32(sampleRate), channels: Int32(channels), format: format,
                       sections: 0, seekable: 0)
    guard sf_format_check(&info) != 0 else {
      throw AudioError.writeFailed(file: file, reason: "\(channels) channels at \(sampleRate) Hz cannot be stored in this format")
    }
    guard let handle = open(&info) else {
      throw AudioError.writeFailed(file: file, reason: String(cString: sf_strerror(nil)))
    }
    // Integer formats: let libsndfile scale ±1.0 to the full integer range without its own clipping.
    sf_command(handle, Int32(SFC_SET_NORM_FLOAT), nil, Int32(SF_TRUE))
    let frames = interleaved.count / channels
    let written = interleaved.withUnsafeBufferPointer { sf_writef_float(handle, $0.baseAddress, sf_count_t(frames)) }
    let closeStatus = sf_close(handle)
    guard written == frames, closeStatus == 0 else {
      throw AudioError.writeFailed(file: file, reason: "only \(written) of \(frames) frames were written")
    }
  }

  static func formatCode(for pathExtension: String, encoding: SampleEncoding, file: String) throws -> Int32 {
    let subtype: Int32 = switch encoding {
    case .pcm16: Int32(SF_FORMAT_PCM_16)
    case .pcm24: Int32(SF_FORMAT_PCM_24)
    case .float32: Int32(SF_FORMAT_FLOAT)
    }
    switch pathExtension.lowercased() {
    case "wav": return Int32(SF_FORMAT_WAV) | subtype
    case "flac": return Int32(SF_FORMAT_FLAC) | (encoding == .pcm24 ? Int32(SF_FORMAT_PCM_24) : Int32(SF_FORMAT_PCM_16))
    case "ogg", "oga": return Int32(SF_FORMAT_OGG) | Int32(SF_FORMAT_VORBIS)
    case "mp3": return Int32(SF_FORMAT_MPEG) | Int32(SF_FORMAT_MPEG_LAYER_III)
    default: throw AudioError.unsupportedExtension(file: file)
    }
  }

  private static func formatName(_ format: Int32) -> String {
    var info = SF_FORMAT_INFO(format: format & Int32(SF_FORMAT_TYPEMASK), name: nil, extension: nil)
    guard sf_command(nil, Int32(SFC_GET_FORMAT_INFO), &info, Int32(MemoryLayout<SF_FORMAT_INFO>.size)) == 0,
          let name = info.name else { return "unknown" }
    return String(cString: name)
  }
}

/// Channel conversion to stereo, as one matrix product: (frames, channels) · (channels, 2).
enum ChannelMixer {
  /// (channels, 2) weights: mono to both sides; 5.1 in WAV order (L, R, C, LFE, Ls, Rs) by the
  /// ITU-R BS.775 down-mix without the LFE, scaled so full scale in every channel stays full scale;
  /// any other layout even channels left, odd right, averaged.
  static func matrix(channels: Int) -> Tensor {
    var weights = [Float](repeating: 0, count: channels * 2)
    func set(_ channel: Int, _ side: Int, _ value: Float) { weights[channel * 2 + side] = value }
    switch channels {
    case 1:
      set(0, 0, 1)
      set(0, 1, 1)
    case 6:
      let k: Float = 0.707_106_77
      let norm = 1 / (1 + 2 * k)
      for (channel, side, value) in [(0, 0, 1), (2, 0, k), (4, 0, k), (1, 1, 1), (2, 1, k), (5, 1, k)] as [(Int, Int, Float)] {
        set(channel, side, value * norm)
      }
    default:
      let left = Float((channels + 1) / 2)
      let right = Float(channels / 2)
      for c in 0..<channels { set(c, c % 2, 1 / (c % 2 == 0 ? left : right)) }
    }
    return Tensor(weights, shape: [channels, 2])
  }
}
