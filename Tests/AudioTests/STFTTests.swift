import Foundation
import Testing
import Torch

@testable import Audio

@Suite("Musika's STFT front end")
struct STFTTests {
  @Test func frameGeometryHasNoCentring() {
    let stft = STFT()
    #expect(stft.bins == 513)
    #expect(stft.frameCount(samples: 1023) == 0)
    #expect(stft.frameCount(samples: 1024) == 1)
    #expect(stft.frameCount(samples: 1024 + 255) == 1)
    #expect(stft.frameCount(samples: 1024 + 256) == 2)
    #expect(stft.sampleCount(frames: 128) == 127 * 256 + 1024)
  }

  @Test func frameIMatchesAWindowedFFTOfItsSamples() throws {
    let stft = STFT()
    let signal = Tensor.randn([2, 4096], generator: Generator(seed: 1), dtype: .float64)
    let spectrum = try stft(signal)
    #expect(spectrum.shape == [2, 513, 13])
    // Frame 3 of channel 1 covers samples [768, 1792).
    let window = Tensor.hannWindow(1024, dtype: .float64)
    let direct = (signal.select(dim: 0, index: 1).narrow(dim: 0, start: 768, length: 1024) * window).rfft()
    let frame = spectrum.select(dim: 0, index: 1).select(dim: 1, index: 3)
    let difference = (frame - direct).abs().amax().item()
    #expect(difference < 1e-9)
  }

  @Test func tooShortAudioIsAnError() {
    #expect(throws: AudioError.tooShort(samples: 100, needed: 1024)) {
      try STFT()(Tensor.zeros([2, 100]))
    }
  }
}
