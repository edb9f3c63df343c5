import CSndfile
import Foundation
import Testing
import Torch

@testable import Audio

/// Writes fixtures into a fresh temporary folder.
final class FixtureFolder {
  let url: URL

  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("musika-audio-\(UUID())")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(at: url) }

  func path(_ name: String) -> URL { url.appendingPathComponent(name) }

  /// A sine per channel (frequencies 220·(c+1) Hz) at amplitude 0.5.
  func sine(_ name: String, channels: Int, sampleRate: Int, seconds: Double,
            encoding: SampleEncoding = .pcm16) throws -> URL {
    let frames = Int(Double(sampleRate) * seconds)
    var values = [Float](repeating: 0, count: channels * frames)
    for c in 0..<channels {
      for f in 0..<frames {
        values[c * frames + f] = 0.5 * Float(sin(2 * Double.pi * 220 * Double(c + 1) * Double(f) / Double(sampleRate)))
      }
    }
    let url = path(name)
    try AudioFile.write(Tensor(values, shape: [channels, frames]), sampleRate: sampleRate, to: url, encoding: encoding)
    return url
  }
}

/// Frequency (Hz) of the strongest bin of a (frames) signal.
func dominantFrequency(_ signal: Tensor, sampleRate: Int) -> Double {
  let spectrum = signal.to(dtype: .float64).rfft().abs()
  return Double(spectrum.argmax(dim: 0).itemInt()) * Double(sampleRate) / Double(signal.size(0))
}

@Suite("Audio files: every format and layout decodes or throws a named error")
struct AudioFileTests {
  @Test(arguments: ["wav", "flac", "ogg", "mp3"])
  func stereoRoundTripInEveryFormat(ext: String) throws {
    let folder = try FixtureFolder()
    let url = try folder.sine("stereo.\(ext)", channels: 2, sampleRate: 44_100, seconds: 1)
    let info = try AudioFile.info(url)
    #expect(info.channels == 2 && info.sampleRate == 44_100)
    let audio = try AudioFile.read(url)
    #expect(audio.samples.shape[0] == 2)
    #expect(audio.sampleRate == 44_100)
    // Lossy codecs add padding; the length is within a few codec frames of 1 s.
    #expect(Swift.abs(audio.duration - 1) < 0.1)
    #expect(Swift.abs(dominantFrequency(audio.samples.select(dim: 0, index: 0), sampleRate: 44_100) - 220) < 3)
    #expect(Swift.abs(dominantFrequency(audio.samples.select(dim: 0, index: 1), sampleRate: 44_100) - 440) < 3)
    #expect(audio.notes.isEmpty)
  }

  @Test func losslessWavIsSampleExact() throws {
    let folder = try FixtureFolder()
    let url = try folder.sine("exact.wav", channels: 2, sampleRate: 44_100, seconds: 0.5, encoding: .float32)
    let audio = try AudioFile.read(url)
    let frames = audio.frames
    let expected = (0..<frames).map { Float(0.5 * sin(2 * Double.pi * 220 * Double($0) / 44_100)) }
    #expect(audio.samples.select(dim: 0, index: 0).toArray(of: Float.self) == expected)
  }

  @Test func monoIsDuplicated() throws {
    let folder = try FixtureFolder()
    let audio = try AudioFile.read(try folder.sine("mono.flac", channels: 1, sampleRate: 44_100, seconds: 0.5))
    #expect(audio.samples.shape == [2, 22_050])
    #expect(values(audio.samples.select(dim: 0, index: 0)) == values(audio.samples.select(dim: 0, index: 1)))
    #expect(audio.notes.contains { $0.contains("mono") })
  }

  @Test func sixChannelsAreMixedDown() throws {
    let folder = try FixtureFolder()
    let audio = try AudioFile.read(try folder.sine("surround.wav", channels: 6, sampleRate: 48_000, seconds: 0.5))
    #expect(audio.samples.shape == [2, 24_000])
    #expect(audio.notes.contains { $0.contains("6 channels") })
    #expect(audio.samples.abs().amax().item() <= 1)
  }

  @Test(arguments: [8_000, 96_000])
  func otherRatesAreResampled(rate: Int) throws {
    let folder = try FixtureFolder()
    let url = try folder.sine("rate\(rate).wav", channels: 2, sampleRate: rate, seconds: 1)
    let audio = try AudioFile.read(url, sampleRate: 44_100)
    #expect(audio.sampleRate == 44_100)
    #expect(Swift.abs(audio.frames - 44_100) <= 2)
    #expect(Swift.abs(dominantFrequency(audio.samples.select(dim: 0, index: 1), sampleRate: 44_100) - 440) < 3)
    #expect(audio.notes.contains { $0.contains("resampled from \(rate) Hz") })
  }

  @Test func veryShortAudioStillDecodes() throws {
    let folder = try FixtureFolder()
    let audio = try AudioFile.read(try folder.sine("short.wav", channels: 2, sampleRate: 44_100, seconds: 0.1))
    #expect(audio.frames == 4_410)
  }

  @Test func emptyFilesAreNamed() throws {
    let folder = try FixtureFolder()
    let zeroBytes = folder.path("zero.wav")
    _ = FileManager.default.createFile(atPath: zeroBytes.path, contents: Data())
    #expect(throws: AudioError.empty(file: zeroBytes.path)) { try AudioFile.read(zeroBytes) }

    let noFrames = folder.path("noframes.wav")
    try AudioFile.write(Tensor.zeros([2, 0]), sampleRate: 44_100, to: noFrames)
    #expect(throws: AudioError.empty(file: noFrames.path)) { try AudioFile.read(noFrames) }
  }

  @Test func truncatedFilesAreNamed() throws {
    let folder = try FixtureFolder()
    let url = try folder.sine("cut.wav", channels: 2, sampleRate: 44_100, seconds: 1)
    let data = try Data(contentsOf: url)
    try data.prefix(data.count / 2).write(to: url)
    #expect { try AudioFile.read(url) } throws: { error in
      guard case AudioError.truncated(let file, let expected, let read)? = error as? AudioError else { return false }
      return file == url.path && expected == 44_100 && read < expected
    }
  }

  /// A cut-off Ogg has no length libsndfile can tell (it says SF_COUNT_MAX frames): it is read to
  /// where it ends, with a note, or refused by name; never an overflow or a giant allocation (found by
  /// scripts/fuzz_audio_reader.py: it used to crash).
  @Test(arguments: [0.5, 0.99])
  func cutOffOggIsReadAsFarAsItGoesOrNamed(fraction: Double) throws {
    let folder = try FixtureFolder()
    let url = try folder.sine("cut.ogg", channels: 2, sampleRate: 44_100, seconds: 2)
    let data = try Data(contentsOf: url)
    try data.prefix(Int(Double(data.count) * fraction)).write(to: url)
    do {
      let audio = try AudioFile.read(url)
      #expect(audio.duration > 0.5 && audio.duration < 2.1, "\(audio.duration) s")
      #expect(audio.notes.contains { $0.contains("cut off") || $0.contains("as far as it goes") }, "\(audio.notes)")
    } catch let error as AudioError {
      #expect("\(error)".contains(url.path))
    }
  }

  /// An Ogg Opus file whose last granule position counts more samples than its packets decode (as
  /// Debian's warzone2100-music legacy track12.opus: it crashed `musika encode`) is read as far as it
  /// goes, with a note.
  @Test func opusShorterThanItsGranulesIsReadAsFarAsItGoes() throws {
    let folder = try FixtureFolder()
    let url = folder.path("long.opus")
    let frames = 48_000
    var info = SF_INFO(frames: 0, samplerate: 48_000, channels: 2, format: Int32(SF_FORMAT_OGG) | Int32(SF_FORMAT_OPUS),
                       sections: 0, seekable: 0)
    let file = try #require(sf_open(url.path, Int32(SFM_WRITE), &info), "libsndfile cannot write Opus here")
    var samples = (0..<(2 * frames)).map { Float(0.5 * sin(2 * Double.pi * 220 * Double($0 / 2) / 48_000)) }
    #expect(sf_writef_float(file, &samples, sf_count_t(frames)) == frames)
    sf_close(file)
    let whole = try AudioFile.read(url)
    var bytes = [UInt8](try Data(contentsOf: url))
    try Self.raiseLastGranule(&bytes, by: 4_800)  // 100 ms
    try Data(bytes).write(to: url)
    let audio = try AudioFile.read(url)
    // Without the trim to the true end, the last Opus frame (20 ms) decodes whole.
    let (read, original) = (audio.samples.size(1), whole.samples.size(1))
    #expect(read >= original && read <= original + 960, "\(read) frames read, \(original) in the file")
    #expect(audio.samples.narrow(dim: 1, start: 0, length: original).toArray(of: Float.self) == whole.samples.toArray(of: Float.self),
            "the samples differ")
    #expect(audio.notes.contains { $0.contains("as far as it goes") }, "\(audio.notes)")
  }

  /// Adds `samples` to the granule position of an Ogg stream's last page and reseals its checksum.
  static func raiseLastGranule(_ bytes: inout [UInt8], by samples: Int64) throws {
    let start = try #require(Data(bytes).range(of: Data("OggS".utf8), options: .backwards)?.lowerBound)
    let segments = Int(bytes[start + 26])
    let length = 27 + segments + bytes[(start + 27)..<(start + 27 + segments)].reduce(0) { $0 + Int($1) }
    var granule: Int64 = 0
    for k in 0..<8 { granule |= Int64(bytes[start + 6 + k]) << (8 * k) }
    granule += samples
    for k in 0..<8 { bytes[start + 6 + k] = UInt8((granule >> (8 * k)) & 0xff) }
    for k in 22..<26 { bytes[start + k] = 0 }
    // Ogg's CRC-32: polynomial 0x04c11db7, not reflected, initial value 0, stored little-endian.
    var crc: UInt32 = 0
    for byte in bytes[start..<(start + length)] {
      crc ^= UInt32(byte) << 24
      for _ in 0..<8 { crc = crc & 0x8000_0000 != 0 ? (crc << 1) ^ 0x04c1_1db7 : crc << 1 }
    }
    for k in 0..<4 { bytes[start + 22 + k] = UInt8((crc >> (8 * k)) & 0xff) }
  }

  @Test func nonAudioFilesAreNamed() throws {
    let folder = try FixtureFolder()
    let text = folder.path("notes.wav")
    try "these are not samples\n".write(to: text, atomically: true, encoding: .utf8)
    #expect { try AudioFile.read(text) } throws: { error in
      guard case AudioError.unreadable(let file, _)? = error as? AudioError else { return false }
      return file == text.path && "\(error)".contains("cannot be read as audio")
    }
    let missing = folder.path("missing.flac")
    #expect { try AudioFile.read(missing) } throws: { "\($0)".contains("no such file") }
    #expect { try AudioFile.read(folder.url) } throws: { "\($0)".contains("folder") }
  }

  @Test func writingLimitsPeaksInsteadOfClipping() throws {
    let folder = try FixtureFolder()
    // A 0.5 sine with one 3.0 spike: hard clipping would flatten it; the limiter scales around it.
    var values = (0..<4410).map { Float(0.5 * sin(2 * Double.pi * 441 * Double($0) / 44_100)) }
    values[2000] = 3
    let url = folder.path("loud.wav")
    try AudioFile.write(Tensor(values + values, shape: [2, 4410]), sampleRate: 44_100, to: url, encoding: .float32)
    let read = try AudioFile.read(url).samples.select(dim: 0, index: 0).toArray(of: Float.self)
    #expect(read.map { Swift.abs($0) }.max()! <= 0.98 + 1e-6)
    #expect(Swift.abs(read[2000] - 0.98) < 1e-4)
    // Far from the spike the signal is untouched.
    #expect(read[0..<1500] == values[0..<1500])
    #expect(read[2500...] == values[2500...])
    #expect { try AudioFile.write(Tensor.zeros([2, 10]), sampleRate: 44_100, to: folder.path("x.aiff2")) } throws: {
      "\($0)".contains("end the name in .wav")
    }
    // No partial file is left behind on success.
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.contains("partial") }
    #expect(leftovers.isEmpty)
  }

  @Test func limiterNeverExceedsTheCeiling() {
    var samples = [Float](repeating: 0, count: 20_000)
    for i in samples.indices {
      let spike: Float = i % 997 == 0 ? 5 : 1
      samples[i] = Float(sin(Double(i) * 0.01)) * spike * 1.3
    }
    let limiter = PeakLimiter(ceiling: 0.9, lookahead: 64)
    let lowest = limiter.apply(&samples, channels: 2)
    #expect(samples.map { Swift.abs($0) }.max()! <= 0.9 + 1e-6)
    #expect(lowest < 0.2)
  }

  @Test func limiterGivesTheSameSamplesChunkByChunk() {
    var samples = [Float](repeating: 0, count: 30_000)
    for i in samples.indices {
      let spike: Float = i % 1_013 < 40 ? 3 : 0.8
      samples[i] = Float(sin(Double(i) * 0.013)) * spike
    }
    let limiter = PeakLimiter(ceiling: 0.9, lookahead: 64)
    var whole = samples
    limiter.apply(&whole, channels: 2)
    // Odd chunk sizes, some shorter than the look-ahead, some empty.
    var streaming = StreamingPeakLimiter(limiter, channels: 2)
    var chunked: [Float] = []
    var offset = 0
    for size in [0, 10, 2, 500, 64, 66, 3_000, 0, 7_000].cycled(until: samples.count / 2) {
      let frames = min(size, samples.count / 2 - offset / 2)
      chunked += streaming.process(Array(samples[offset..<(offset + frames * 2)]))
      offset += frames * 2
    }
    chunked += streaming.finish()
    #expect(chunked.count == samples.count)
    #expect(chunked == whole)
    // Quiet audio passes through untouched.
    var quiet = StreamingPeakLimiter(limiter, channels: 2)
    let soft = samples.map { $0 * 0.2 }
    #expect(quiet.process(soft) + quiet.finish() == soft)
  }
}

extension Array where Element == Int {
  /// The sizes repeated until they add up to at least `total`.
  func cycled(until total: Int) -> [Int] {
    var out: [Int] = []
    var sum = 0
    while sum < total {
      for size in self {
        out.append(size)
        sum += size
      }
    }
    return out
  }
}

@Suite("Channel mixing")
struct ChannelMixerTests {
  @Test func mixingWeights() {
    // One frame per layout; rows are channels.
    let centreOnly = Tensor([0, 0, 1, 0, 0, 0] as [Float], shape: [1, 6]).matmul(ChannelMixer.matrix(channels: 6))
    let k = 0.707_106_77 / (1 + 2 * 0.707_106_77)
    #expect(close(values(centreOnly), [k, k], tolerance: 1e-6))
    let lfeOnly = Tensor([0, 0, 0, 1, 0, 0] as [Float], shape: [1, 6]).matmul(ChannelMixer.matrix(channels: 6))
    #expect(values(lfeOnly) == [0, 0])
    let full = Tensor([Float](repeating: 1, count: 6), shape: [1, 6]).matmul(ChannelMixer.matrix(channels: 6))
    #expect(close(values(full), [1, 1], tolerance: 1e-6))
    #expect(values(Tensor([0.5] as [Float], shape: [1, 1]).matmul(ChannelMixer.matrix(channels: 1))) == [0.5, 0.5])
    // Three channels: 0 and 2 averaged left, 1 right.
    #expect(values(Tensor([1, 4, 3] as [Float], shape: [1, 3]).matmul(ChannelMixer.matrix(channels: 3))) == [2, 4])
  }
}

func close(_ a: [Double], _ b: [Double], tolerance: Double) -> Bool {
  a.count == b.count && zip(a, b).allSatisfy { Swift.abs($0 - $1) <= tolerance }
}
