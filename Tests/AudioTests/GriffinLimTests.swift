import Foundation
import Testing
import Torch

@testable import Audio

@Suite("Griffin-Lim")
struct GriffinLimTests {
  let stft = STFT()

  /// A vibrato chord with a click train: tones between bins, moving, and onsets.
  func signal(seconds: Double = 3) -> Tensor {
    let rate = 22_050.0, n = Int(seconds * rate)
    var samples = [Float](repeating: 0, count: n)
    for i in 0..<n {
      let t = Double(i) / rate
      for f in [220.0, 277.2, 329.6] {  // ±1.5 % at 5 Hz
        samples[i] += Float(0.2 * Foundation.sin(2 * Double.pi * f * (t - 0.015 / (2 * Double.pi * 5) * Foundation.cos(2 * Double.pi * 5 * t))))
      }
      if i % 5_000 < 40 { samples[i] += Float(0.5 * Foundation.exp(-Double(i % 5_000) / 8)) }
    }
    return Tensor(samples, shape: [1, n])
  }

  /// The signal's own phase is a fixed point: a consistent spectrum comes back as its signal, except
  /// near the ends, where the frames do not fully overlap and each iteration reaches 3 frames further in.
  @Test func refiningAConsistentSpectrumReturnsItsSignal() throws {
    let x = signal(seconds: 2)
    let spectrum = try stft(x)
    let back = try GriffinLim(stft: stft, iterations: 4).refine(spectrum.abs(), phase: spectrum.angle())
    let edge = (4 * 3 + 4) * 256
    let interior = { (t: Tensor) in t.narrow(dim: 1, start: edge, length: back.size(1) - 2 * edge) }
    #expect((interior(back) - interior(x)).abs().amax().item() < 1e-4)
  }

  /// From the phase integrated from the magnitude, fast Griffin-Lim brings the re-analysed magnitude
  /// closer to the one imposed (spectral convergence, lower is better): the integration estimates each
  /// frame's phase from its neighbours' magnitudes and does not make the overlapping frames agree.
  /// Measured: 0.151 → 0.123 after 4 iterations, where 4 from random phases reach 0.304. (On a codec's
  /// decoded magnitudes the gain is larger: `codec eval`'s "own phase + FGLA-4" column.)
  @Test func refiningTheIntegratedPhaseMakesTheFramesAgree() throws {
    let magnitude = try stft(signal()).abs()  // (1, bins, frames)
    let frames = magnitude.size(2), bins = magnitude.size(1)
    let logMagnitude = magnitude.maximum(1e-9).log().transposed(1, 2).contiguous().toArray(of: Float.self)
    let angles = Tensor(PhaseGradientIntegrator(stft: stft, channels: 1).angles(logMagnitude: logMagnitude, frames: frames, next: nil),
                        shape: [1, frames, bins]).transposed(1, 2).contiguous()
    func spectralConvergence(_ y: Tensor) throws -> Double {
      let again = try stft(y).abs().narrow(dim: 2, start: 0, length: frames)
      return ((again - magnitude).square().sum().item() / magnitude.square().sum().item()).squareRoot()
    }
    let integrated = try spectralConvergence(InverseSTFT(stft: stft)(Tensor.polar(magnitude: magnitude, phase: angles)))
    let refined = try spectralConvergence(GriffinLim(stft: stft, iterations: 4).refine(magnitude, phase: angles))
    let fromNoise = try spectralConvergence(GriffinLim(stft: stft, iterations: 4)(magnitude, generator: Generator(seed: 0)))
    print(String(format: "spectral convergence: integrated %.3f, + 4 fast Griffin-Lim %.3f, 4 from random phases %.3f",
                 integrated, refined, fromNoise))
    #expect(refined < 0.9 * integrated, "integrated \(integrated), refined \(refined)")
    #expect(refined < 0.6 * fromNoise, "refined \(refined), from random phases \(fromNoise)")
  }
}
