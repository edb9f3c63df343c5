import Foundation
import Testing
import Torch

@testable import Musika

/// The two measures of what happens at generator-window boundaries (`musika analyze --model`).
@Suite("Window-boundary measures")
struct WindowEdgeMeasureTests {
  /// Noise whose last vector in every 32-vector window has half the amplitude: a quarter of the power.
  @Test func edgePowerFindsAQuietLastVector() {
    let (channels, window, windows) = (64, 32, 40)
    let gain = Tensor((0..<window).map { $0 == window - 1 ? Float(0.5) : 1 }, shape: [1, 1, window])
    let latents = (Tensor.randn([channels, windows, window], generator: Generator(seed: 1)) * gain)
      .reshape(channels, windows * window)
    let profile = WindowEdgePower.profile(Tensor.cat([latents, Tensor.zeros([channels, 5])], dim: 1), window: window)
    #expect(profile.count == window)
    #expect(Swift.abs(profile[window - 1] - 0.25) < 0.05, "\(profile[window - 1])")
    #expect(profile[0..<(window - 1)].allSatisfy { Swift.abs($0 - 1) < 0.15 }, "\(profile)")
    #expect(WindowEdgePower.profile(Tensor.zeros([channels, window - 1]), window: window).isEmpty)
  }

  /// Audio 6 dB quieter within `radius` samples of each boundary reads about −6 dB; steady audio 0 dB.
  /// Shorter than two periods: no boundary, no figure.
  @Test func boundaryLevelReadsADipAtEveryBoundary() throws {
    let (period, radius, periods) = (1_000, 50, 8)
    let steady = Tensor.randn([2, period * periods], generator: Generator(seed: 2))
    let steadyLevel = try #require(WindowBoundaryLevel.decibels(steady, period: period, radius: radius))
    #expect(Swift.abs(steadyLevel) < 0.5)
    #expect(WindowBoundaryLevel.decibels(steady.narrow(dim: 1, start: 0, length: 2 * period - 1), period: period, radius: radius) == nil)
    let gain = Tensor((0..<period).map { $0 < radius || $0 >= period - radius ? Float(0.5) : 1 }, shape: [1, 1, period])
    let dipped = (steady.reshape(2, periods, period) * gain).reshape(2, periods * period)
    let level = try #require(WindowBoundaryLevel.decibels(dipped, period: period, radius: radius))
    #expect(level < -5 && level > -7, "\(level) dB")
  }
}
