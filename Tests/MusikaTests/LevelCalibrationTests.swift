import Audio
import Foundation
import Testing
import Torch

@testable import Musika

/// `musika codec calibrate` and the output equalisation it writes (`CodecConfig.equalizationDb`).
@Suite("Level calibration", .serialized)
struct LevelCalibrationTests {
  static let codecFolder = BundledModelTests.folder.appendingPathComponent(BundledModelTests.codecName)

  /// Six seconds of stereo "music": a chord that changes every half second over a bass note, with a
  /// noise burst on each beat, so every band from 60 Hz to 10 kHz has something in it.
  static func writeMusic(to url: URL, rate: Int, seed: UInt64) throws {
    let g = Generator(seed: seed)
    let half = rate / 2
    let tau = Tensor.arange(0, Double(half), dtype: .float64) / Double(rate)  // time within a beat
    // A root from 110 Hz up an octave per beat, drawn by semitone.
    let semitones = (Tensor.randn([12], generator: g, dtype: .float64).abs() * 4).toArray(of: Double.self)
    var left: [Tensor] = [], right: [Tensor] = []
    for beat in 0..<12 {
      let root = 110 * pow(2, Double(Int(semitones[beat]) % 12) / 12)
      let t = tau + Double(beat * half) / Double(rate)
      var tone = (t * (2 * .pi * root / 2)).sin() * 0.15
      for (k, ratio) in [1.0, 1.26, 1.5, 2, 3, 4].enumerated() {
        tone = tone + (t * (2 * .pi * root * ratio)).sin() * (0.08 / Double(k + 1))
      }
      let burst = Tensor.randn([half], generator: g, dtype: .float64) * (tau * -30).exp() * 0.12
      left.append(tone + burst)
      right.append(tone * 0.9 + burst * 0.7)
    }
    let stereo = Tensor.stack([Tensor.cat(left, dim: 0), Tensor.cat(right, dim: 0)], dim: 0)
    try AudioFile.write(stereo.to(dtype: .float32), sampleRate: rate, to: url)
  }

  /// Calibrated on one piece, the equalisation brings the level of every band of another piece closer to
  /// its input (and the residual band loss is near zero on the calibration piece).
  @Test func equalisationRestoresTheLevelDecodingLoses() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("musika-calibrate-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let codec = try SpectralCodec.load(from: Self.codecFolder)
    let rate = codec.config.sampleRate
    let (train, other) = (folder.appendingPathComponent("a.wav"), folder.appendingPathComponent("b.wav"))
    try Self.writeMusic(to: train, rate: rate, seed: 1)
    try Self.writeMusic(to: other, rate: rate, seed: 2)

    try codec.setEqualization(nil)
    let calibration = LevelCalibration(codec: codec, maxSeconds: 6)
    func meanAbs(_ x: [Double]) -> Double { x.map(abs).reduce(0, +) / Double(x.count) }
    let before = meanAbs(try calibration.measureBandLoss(files: [other]))
    let losses = try calibration.calibrate(files: [train], passes: 2)
    #expect(losses.count == 3)
    let (first, last) = (meanAbs(losses[0]), meanAbs(losses[2]))
    #expect(first > 1, "decoding lost only \(first) dB per band: nothing to calibrate")
    #expect(last < 0.2 * first, "band loss \(first) dB before, \(last) dB after")
    let equalization = try #require(codec.config.equalizationDb)
    #expect(equalization.count == codec.config.bins)
    let after = meanAbs(try calibration.measureBandLoss(files: [other]))
    #expect(after < 0.5 * before, "band loss on another piece: \(before) dB without, \(after) dB with the equalisation")
    print("calibration: band loss \(first) → \(last) dB; on another piece \(before) → \(after) dB")
  }

  /// Synthesis adds the equalisation to each bin's level: a flat +6.02 dB doubles every magnitude
  /// (up to the 1e-7 floor added to the power), and a curve moves each bin by its own value.
  @Test func synthesisAddsTheEqualisationToEachBin() throws {
    let bins = 9
    let magnitude = Tensor.randn([2, bins, 5], generator: Generator(seed: 4), std: 0.3)
    let angles = Tensor.randn([2, bins, 5], generator: Generator(seed: 5))
    let plain = SpectralFrontEnd(stft: STFT(nFFT: 16, hop: 4), mu: 1, sigma: 53)
    let curve = (0..<bins).map { Double($0) - 4 }
    let flat = SpectralFrontEnd(stft: plain.stft, mu: 1, sigma: 53, equalizationDb: [Double](repeating: 20 * log10(2.0), count: bins))
    let shaped = SpectralFrontEnd(stft: plain.stft, mu: 1, sigma: 53, equalizationDb: curve)
    let base = plain.spectrum(magnitude: magnitude, angles: angles).abs()
    let doubled = flat.spectrum(magnitude: magnitude, angles: angles).abs()
    #expect(((doubled / base) - 2).abs().amax().item() < 1e-3)
    let ratio = (shaped.spectrum(magnitude: magnitude, angles: angles).abs() / base).log10() * 20  // dB per bin
    for k in 0..<bins {
      #expect(abs(ratio.select(dim: 1, index: k).mean().item() - curve[k]) < 0.01, "bin \(k)")
    }
  }

  /// The command writes the equalisation into the codec folder's config.json, which loads back with it;
  /// the weights are not touched; --passes 0 removes it; a config whose equalisation does not fit its
  /// bins is refused on loading with the way out.
  @Test func commandWritesAndRemovesTheEqualisation() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("musika-calibrate-cli-\(UUID())")
    let music = folder.appendingPathComponent("music"), codecCopy = folder.appendingPathComponent("codec")
    try FileManager.default.createDirectory(at: music, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    try FileManager.default.copyItem(at: Self.codecFolder, to: codecCopy)
    var config = try JSONDecoder().decode(CodecConfig.self, from: Data(contentsOf: codecCopy.appendingPathComponent("config.json")))
    config.equalizationDb = nil
    try JSONEncoder().encode(config).write(to: codecCopy.appendingPathComponent("config.json"))
    try Self.writeMusic(to: music.appendingPathComponent("a.wav"), rate: config.sampleRate, seed: 3)
    let weights = try Data(contentsOf: codecCopy.appendingPathComponent(SpectralCodec.weightsFile))

    let run = try runMusika(["codec", "calibrate", "--codec", codecCopy.path, "--audio", music.path, "--seconds", "4",
                             "--passes", "1", "--threads", "1", "--phase-iterations", "2"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.contains("without equalisation") && run.stdout.contains("after pass 1"), "\(run.stdout)")
    let calibrated = try SpectralCodec.load(from: codecCopy)
    #expect(calibrated.config.equalizationDb?.count == config.bins)
    #expect(calibrated.frontEnd.equalization != nil)
    // The refinement it measured through is stored with the equalisation.
    #expect(calibrated.config.phaseIterations == 2 && calibrated.phaseIterations == 2)
    #expect(try Data(contentsOf: codecCopy.appendingPathComponent(SpectralCodec.weightsFile)) == weights)

    let removed = try runMusika(["codec", "calibrate", "--codec", codecCopy.path, "--audio", music.path, "--seconds", "4",
                                 "--passes", "0", "--threads", "1"])
    #expect(removed.status == 0 && removed.stdout.contains("equalisation removed"), "\(removed.stderr)")
    #expect(try SpectralCodec.load(from: codecCopy).config.equalizationDb == nil)

    let empty = folder.appendingPathComponent("empty")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    let none = try runMusika(["codec", "calibrate", "--codec", codecCopy.path, "--audio", empty.path])
    #expect(none.status != 0 && none.stderr.contains("holds no audio files"), "\(none.stderr)")

    config.equalizationDb = [1, 2, 3]
    try JSONEncoder().encode(config).write(to: codecCopy.appendingPathComponent("config.json"))
    #expect { try SpectralCodec.load(from: codecCopy) } throws: { "\($0)".contains("run musika codec calibrate again") }
  }
}
