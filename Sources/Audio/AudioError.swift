/// Errors of audio reading, writing and processing; each names the file and says what would fix it.
public enum AudioError: Error, CustomStringConvertible, Equatable, Sendable {
  case unreadable(file: String, reason: String)
  case empty(file: String)
  case truncated(file: String, expectedFrames: Int, readFrames: Int)
  case tooShort(samples: Int, needed: Int)
  case unsupportedExtension(file: String)
  case writeFailed(file: String, reason: String)
  case resampleFailed(reason: String)

  public var description: String {
    switch self {
    case .unreadable(let file, let reason):
      "\(file): cannot be read as audio (\(reason)); use a WAV, FLAC, OGG/Vorbis or MP3 file"
    case .empty(let file):
      "\(file): the file holds no audio samples"
    case .truncated(let file, let expected, let read):
      "\(file): truncated: its header promises \(expected) frames but only \(read) could be read; re-export or re-download it"
    case .tooShort(let samples, let needed):
      "audio is \(samples) samples long; at least \(needed) are needed for one analysis frame"
    case .unsupportedExtension(let file):
      "\(file): unknown output format; end the name in .wav, .flac, .ogg or .mp3"
    case .writeFailed(let file, let reason):
      "\(file): cannot be written (\(reason))"
    case .resampleFailed(let reason):
      "resampling failed (\(reason))"
    }
  }
}
