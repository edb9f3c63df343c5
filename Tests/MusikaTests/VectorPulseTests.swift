import Foundation
import Testing
import Torch

@testable import Musika

@Suite("Pulse at the latent-vector rate")
struct VectorPulseTests {
  /// 20 s of stereo noise bursts every `period` seconds at 22.05 kHz, decaying over 30 ms.
  static func clicks(every period: Double, seconds: Double = 20) -> Tensor {
    let rate = 22_050
    let count = Int(seconds * Double(rate))
    let noise = Tensor.randn([count], generator: Generator(seed: 7)).toArray(of: Float.self)
    var samples = [Float](repeating: 0, count: count)
    var start = 0.0
    while start < seconds {
      let first = Int(start * Double(rate))
      for i in first..<min(first + 660, count) { samples[i] = noise[i] * Float(exp(-Double(i - first) / 200)) }
      start += period
    }
    return Tensor(samples + samples, shape: [2, count])
  }

  @Test func clicksOnTheVectorGridScoreHighAndABeatOffItLow() throws {
    let vector = 4096.0 / 22_050  // the tiny codec's latent vector
    let onGrid = try VectorPulse.correlation(Self.clicks(every: vector), sampleRate: 22_050, vectorSeconds: vector)
    let at130 = try VectorPulse.correlation(Self.clicks(every: 60.0 / 130), sampleRate: 22_050, vectorSeconds: vector)
    #expect(onGrid > 0.8, "\(onGrid)")
    #expect(at130 < 0.3, "\(at130)")
    #expect(throws: MusikaError.self) {
      try VectorPulse.correlation(Self.clicks(every: 0.1, seconds: 0.1), sampleRate: 22_050, vectorSeconds: vector)
    }
  }
}

@Suite("DEC2's jump at latent-vector boundaries")
struct VectorBoundaryJumpTests {
  @Test func aStepAtEveryVectorBoundaryShowsAndASmoothWalkDoesNot() throws {
    let perVector = 16, vectors = 32
    let g = Generator(seed: 3)
    // A random walk: the same change into every frame on average.
    let walk = Tensor.randn([2, 8, perVector * vectors], generator: g).cumsum(dim: 2)
    let smooth = try VectorBoundaryJump.ratio(frames: walk, framesPerVector: perVector)
    #expect(abs(smooth - 1) < 0.15, "\(smooth)")
    // The same walk plus a jump of 4 (vs steps of about 0.8) at every vector's first frame.
    let steps = Tensor((0..<(perVector * vectors)).map { Float($0 / perVector) * 4 }, shape: [1, 1, perVector * vectors])
    let stepped = try VectorBoundaryJump.ratio(frames: walk + steps, framesPerVector: perVector)
    #expect(stepped > 3, "\(stepped)")
    // Too short to have interior vectors: a clear error.
    #expect(throws: MusikaError.self) { try VectorBoundaryJump.ratio(frames: walk.narrow(dim: 2, start: 0, length: 40), framesPerVector: perVector) }
  }
}
