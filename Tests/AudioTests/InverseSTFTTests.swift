import Foundation
import Testing
import Torch

@testable import Audio

@Suite("Spectral front end and inverse STFT")
struct InverseSTFTTests {
  let stft = STFT()

  @Test func synthesisWindowIsHannOverOnePointFive() {
    let window = InverseSTFT(stft: stft).synthesisWindow(dtype: .float64)
    let hann = Tensor.hannWindow(1024, dtype: .float64)
    #expect((window - hann / 1.5).abs().amax().item() < 1e-12)
  }

  @Test func reconstructsPerfectlyWhereFramesOverlap() throws {
    let signal = Tensor.randn([2, 20 * 256 + 1024], generator: Generator(seed: 1), dtype: .float64)
    let back = InverseSTFT(stft: stft)(try stft(signal))
    #expect(back.shape == signal.shape)
    let interior = { (t: Tensor) in t.narrow(dim: 1, start: 768, length: t.size(1) - 2 * 768) }
    #expect((interior(back) - interior(signal)).abs().amax().item() < 1e-10)
  }

  @Test func streamingEqualsOneShot() throws {
    let signal = Tensor.randn([2, 40 * 256 + 1024], generator: Generator(seed: 2))
    let spectrum = try stft(signal)  // 41 frames
    let oneShot = InverseSTFT(stft: stft)(spectrum)
    var stream = OverlapAddISTFT(stft: stft)
    var pieces: [Tensor] = []
    var start = 0
    for size in [1, 7, 16, 3, 14] {  // uneven chunks: 41 frames
      pieces.append(stream.push(spectrum.narrow(dim: 2, start: start, length: size)))
      start += size
    }
    #expect(start == 41)
    let tail = stream.finish()
    pieces.append(try #require(tail))
    let streamed = Tensor.cat(pieces, dim: 1)
    #expect(streamed.shape == oneShot.shape)
    #expect((streamed - oneShot).abs().amax().item() < 1e-6)
    let again = stream.finish()
    #expect(again == nil)
  }

  @Test func normalisationAnchors() throws {
    let front = SpectralFrontEnd()
    // Silence sits on the −100 dB floor: exactly −1.
    let silence = try front.analyze(Tensor.zeros([1, 2048]))
    #expect(values(silence).allSatisfy { Swift.abs($0 + 1) < 1e-6 })
    // A full-scale sine centred on a bin peaks at about +0.98 (reference §2).
    let n = 4096
    let sine = Tensor((0..<n).map { Float(Foundation.sin(2 * Double.pi * 64 * Double($0) / 1024)) }, shape: [1, n])
    let peak = try front.analyze(sine).amax().item()
    #expect(Swift.abs(peak - 0.98) < 0.01, "peak \(peak)")
  }

  @Test func decoderOutputsInvertTheNormalisation() throws {
    let front = SpectralFrontEnd()
    let signal = Tensor.randn([1, 8 * 256 + 1024], generator: Generator(seed: 3), dtype: .float64) * 0.1
    let spectrum = try stft(signal)
    let magnitude = front.normalizedLogMagnitude(spectrum)
    let phase = spectrum.angle() / Double.pi
    let rebuilt = front.spectrum(magnitude: magnitude, phase: phase)
    // Exact up to the 1e-7 power floor added on the way back.
    let error = (rebuilt - spectrum).abs().amax().item()
    #expect(error < 1e-3 * spectrum.abs().amax().item())
  }
}

func values(_ t: Tensor) -> [Double] { t.toArray(of: Double.self) }
