import Audio
import Foundation
import Testing
import Torch

@testable import Musika

@Suite("Codec evaluation")
struct CodecEvaluatorTests {
  @Test func melFilterbankPutsASineInTheRightBand() {
    let bank = MelFilterbank(sampleRate: 44_100, nFFT: 2048, bands: 128)
    let matrix = bank.matrix()
    #expect(matrix.shape == [128, 1025])
    let t = Tensor.arange(0, 44_100, dtype: .float64) / 44_100
    let sine = (t * (2 * Double.pi * 1000)).sin().unsqueeze(0)
    let band = bank.logMel(sine).mean(dims: [2]).argmax(dim: 1).itemInt()
    // 1000 Hz is 15 mel (Slaney); the top (22 050 Hz) is 15 + 27·ln(22.05)/ln(6.4) ≈ 60 mel, so the
    // band centred there is 15/60·129 − 1 ≈ 31.
    #expect(Swift.abs(band - 31) <= 1, "band \(band)")
  }

  @Test func evaluatesAFolderWithAGriffinLimReference() throws {
    let (corpus, folder) = try CodecTrainerTests.makeCorpus()
    _ = corpus
    defer { try? FileManager.default.removeItem(at: folder) }
    let codec = try SpectralCodec(config: CodecTrainerTests.config)
    codec.initialize(seed: 1)
    let written = FileManager.default.temporaryDirectory.appendingPathComponent("musika-eval-audio-\(UUID())")
    defer { try? FileManager.default.removeItem(at: written) }
    let rows = try CodecEvaluator(codec: codec, maxSeconds: 1, audioOutput: written).evaluate(folder: folder)
    #expect(rows.count == 2)
    // --write-audio: every variant of every file, as long as the decoded excerpt.
    for row in rows {
      let stem = row.file.replacingOccurrences(of: "/", with: "_")
      for variant in ["input", "both-levels", "level1", "codec-magnitude-gl", "refined", "true-magnitude-gl"] {
        let audio = try AudioFile.read(written.appendingPathComponent("\(stem).\(variant).wav"))
        #expect(Swift.abs(Double(audio.frames) / 44_100 - row.seconds) < 0.05, "\(stem).\(variant).wav")
      }
    }
    for row in rows {
      // An untrained codec is far worse than true magnitudes with Griffin-Lim phase.
      #expect(row.referenceLogMelL1 < row.logMelL1)
      #expect(row.referenceStftDistance < row.stftDistance)
      // Its own magnitudes with Griffin-Lim phase are still far from the true magnitudes'.
      #expect(row.referenceLogMelL1 < row.codecMagnitudeGriffinLimLogMelL1)
      #expect(row.level1LogMelL1.isFinite && row.referenceLogMelL1 < row.level1LogMelL1)
      #expect(row.refinedLogMelL1.isFinite && row.referenceLogMelL1 < row.refinedLogMelL1)
      #expect(row.encodeRealTime > 0 && row.decodeRealTime > 0)
      #expect(Swift.abs(row.seconds - 0.97) < 0.05)
    }
    let table = CodecEvaluator.table(rows, codecName: "micro")
    #expect(table.contains("mean (2 files)") && table.contains("GL-32") && table.contains("codec mag + GL-32")
            && table.contains("own phase + FGLA-4") && table.contains("level 1 only"))
  }

  /// `codec eval` ends with the mid-bin pitch probe through both levels and level 1, with the codec's
  /// own phase source and then the other. The bundled codec decodes with the phase from its magnitude
  /// (its config.json): some tones come back in tune; through DEC's phase head, which pulls such tones
  /// to bin centres, none does.
  @Test func commandPrintsTheMidBinPitchProbe() throws {
    let (_, folder) = try CodecTrainerTests.makeCorpus()
    defer { try? FileManager.default.removeItem(at: folder) }
    let codec = BundledModelTests.folder.appendingPathComponent(BundledModelTests.codecName)
    let result = try runMusika(["codec", "eval", "--codec", codec.path, "--audio", folder.path, "--seconds", "1",
                                "--threads", "1"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("mid-bin pitch probe, 205 226 248 269 291 312 334 355 Hz:"), "\(result.stdout)")
    let both = result.stdout.split(separator: "\n").first { $0.contains("both levels:") }
    #expect(both.map { !$0.contains(" 0/8 within") } == true, "\(result.stdout)")
    #expect(result.stdout.contains("level 1 only:"))
    let fromDecoder = result.stdout.split(separator: "\n").first { $0.contains("both levels, phase from decoder:") }
    #expect(fromDecoder?.contains("0/8 within 50 cents") == true, "\(result.stdout)")
    // Without --audio, the probe alone (quick, for following a training run).
    let probeOnly = try runMusika(["codec", "eval", "--codec", codec.path, "--threads", "1"])
    #expect(probeOnly.status == 0, "\(probeOnly.stderr)")
    #expect(probeOnly.stdout.hasPrefix("mid-bin pitch probe"), "\(probeOnly.stdout)")
  }
}

@Suite("Seam measurement")
struct SeamMeterTests {
  @Test func continuousAudioScoresOneAndStepsAtBoundariesScoreHigher() throws {
    let samples = 16_384 * 12
    let noise = Tensor.randn([2, samples], generator: Generator(seed: 1)) * 0.2
    // The same noise, louder in every other 16 384-sample decoder window.
    let gains = (0..<samples).map { Float(($0 / 16_384) % 2 == 0 ? 1.0 : 0.6) }
    let stepped = noise * Tensor(gains, shape: [1, samples])
    let stft = Audio.STFT()
    let a = try SeamMeter.boundaryFluxRatio(noise, stft: stft, period: 64)
    let b = try SeamMeter.boundaryFluxRatio(stepped, stft: stft, period: 64)
    #expect(Swift.abs(a - 1) < 0.05, "stationary \(a)")
    #expect(b > 1.1, "stepped \(b)")  // a 4.4 dB step, spread over the 4 frames that overlap it
    // A harmonic tone whose phase restarts at every boundary (a click per window).
    let t = (0..<samples).map { Double($0 % 16_384) / 44_100 }
    let tone = t.map { x in Float((1...6).reduce(0.0) { $0 + 0.1 * sin(2 * Double.pi * 220 * Double($1) * x + 0.7) }) }
    let clicks = try SeamMeter.boundaryFluxRatio(Tensor(tone + tone, shape: [2, samples]), stft: stft, period: 64)
    #expect(clicks > 1.5, "phase jumps \(clicks)")
  }
}
