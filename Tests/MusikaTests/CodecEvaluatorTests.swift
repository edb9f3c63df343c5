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
    let rows = try CodecEvaluator(codec: codec, maxSeconds: 1).evaluate(folder: folder)
    #expect(rows.count == 2)
    for row in rows {
      // An untrained codec is far worse than true magnitudes with Griffin-Lim phase.
      #expect(row.referenceLogMelL1 < row.logMelL1)
      #expect(row.referenceStftDistance < row.stftDistance)
      #expect(row.encodeRealTime > 0 && row.decodeRealTime > 0)
      #expect(Swift.abs(row.seconds - 0.97) < 0.05)
    }
    let table = CodecEvaluator.table(rows, codecName: "micro")
    #expect(table.contains("mean (2 files)") && table.contains("GL-32"))
  }
}
