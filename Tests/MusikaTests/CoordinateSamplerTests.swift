import Testing
import Torch

@testable import Musika

@Suite("Coordinates from (seed, position)")
struct CoordinateSamplerTests {
  let sampler = CoordinateSampler(config: .musika44k, seed: 42, truncation: 2)

  @Test func anySpanEqualsTheSameSpanOfALongerRun() throws {
    let long = try sampler.coordinates(start: 0, count: 1500)
    for (start, count) in [(0, 128), (500, 100), (383 - 64, 3), (1371, 129)] {
      let span = try sampler.coordinates(start: start, count: count)
      #expect(span.shape == [128, count])
      let reference = long.narrow(dim: 1, start: start, length: count)
      #expect(identical(span, reference), "span \(start)+\(count): \(difference(span, reference))")
    }
  }

  @Test func interpolatesBetweenAnchorsAndSharesTheGlobalStyle() throws {
    // Uncentred point q = 384k + 192 is halfway between anchors k and k+1; stream index s = q − 64.
    let c = try sampler.coordinates(start: 384 + 192 - 64, count: 1).to(dtype: .float64)
    let x = (sampler.anchor(1) + sampler.anchor(2)) * 0.5
    let next = sampler.anchor(1) + (sampler.anchor(2) - sampler.anchor(1)) * (193.0 / 384)
    let expected = (x + next) * 0.5
    #expect((c.narrow(dim: 0, start: 0, length: 64).squeeze(1) - expected).abs().amax().item() < 1e-6)
    let all = try sampler.coordinates(start: 0, count: 800)
    let style = all.narrow(dim: 0, start: 64, length: 64)
    #expect((style - style.narrow(dim: 1, start: 0, length: 1)).abs().amax().item() == 0)
  }

  @Test func truncationBoundsAndSeeds() throws {
    let tight = CoordinateSampler(config: .musika44k, seed: 1, truncation: 0.5)
    #expect(try tight.coordinates(start: 0, count: 2000).abs().amax().item() <= 0.5)
    let other = CoordinateSampler(config: .musika44k, seed: 43, truncation: 2)
    #expect(try sampler.coordinates(start: 0, count: 10).bytes() != other.coordinates(start: 0, count: 10).bytes())
    let untruncated = CoordinateSampler(config: .musika44k, seed: 1, truncation: nil)
    #expect(try untruncated.coordinates(start: 0, count: 4000).abs().amax().item() > 2)
    #expect(throws: MusikaError.self) { try sampler.coordinates(start: -1, count: 5) }
  }

  /// A style truncation bounds the global vector alone (the tighter of it and the truncation); the
  /// local anchors keep theirs, bit for bit.
  @Test func styleTruncationBoundsTheStyleAlone() throws {
    let styled = CoordinateSampler(config: .musika44k, seed: 42, truncation: 2, styleTruncation: 0.4)
    #expect(styled.global.abs().amax().item() <= 0.4)
    #expect(sampler.global.abs().amax().item() > 0.4)
    #expect(identical(styled.anchor(3), sampler.anchor(3)))
    let (plain, tight) = (try sampler.coordinates(start: 0, count: 900), try styled.coordinates(start: 0, count: 900))
    #expect(identical(plain.narrow(dim: 0, start: 0, length: 64), tight.narrow(dim: 0, start: 0, length: 64)))
    #expect(tight.narrow(dim: 0, start: 64, length: 64).abs().amax().item() <= 0.4)
    // A truncation tighter than the style's bounds the style too.
    let both = CoordinateSampler(config: .musika44k, seed: 42, truncation: 0.3, styleTruncation: 0.4)
    #expect(both.global.abs().amax().item() <= 0.3)
    // Without a truncation the style's bound still holds.
    let untruncated = CoordinateSampler(config: .musika44k, seed: 42, truncation: nil, styleTruncation: 0.4)
    #expect(untruncated.global.abs().amax().item() <= 0.4)
  }

  @Test func smallModelSpacing() {
    let small = CoordinateSampler(config: .musika44kSmall, seed: 1)
    #expect(small.anchorSpacing == 192 && small.offset == 32)
  }
}
