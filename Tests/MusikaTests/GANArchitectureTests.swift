import Testing
import Torch

@testable import Musika

@Suite("Latent GAN networks (reference §5.2–5.3)")
struct GANArchitectureTests {
  @Test func fullSizeParameterCountsEqualTheOriginal() {
    #expect(LatentGenerator(.musika44k).parameterCount == 15_499_530)
    #expect(LatentCritic(.musika44k).parameterCount == 20_786_689)
    #expect(LatentGenerator(.musika44kSmall).parameterCount == 12_009_738)
    #expect(LatentCritic(.musika44kSmall).parameterCount == 16_770_817)
  }

  /// The CPU-trainable widths of `musika train --config small|tiny` (b = 64, 32; full windows).
  @Test func scaledWidthsHaveTheirOwnCounts() {
    let small = GANConfig.musika44k.scaled(baseChannels: 64, name: "small")
    let tiny = GANConfig.musika44k.scaled(baseChannels: 32, name: "tiny")
    #expect(LatentGenerator(small).parameterCount == 4_325_578)
    #expect(LatentCritic(small).parameterCount == 5_248_769)
    #expect(LatentGenerator(tiny).parameterCount == 1_306_794)
    #expect(LatentCritic(tiny).parameterCount == 1_338_241)
  }

  @Test func pixelShuffleInterleavesChannelsIntoTime() {
    // in (1, 4 channels, 2 steps): channel c, step w holds 10c + w.
    let x = Tensor([0, 1, 10, 11, 20, 21, 30, 31] as [Float], shape: [1, 4, 2])
    // out[j, 2w + r] = in[2j + r, w]: channel 0 = [in0w0, in1w0, in0w1, in1w1] = [0, 10, 1, 11].
    #expect(pixelShuffle1d(x).toArray(of: Float.self) == [0, 10, 1, 11, 20, 30, 21, 31])
  }

  @Test(arguments: [GANConfig.musika44k, .musika44kSmall])
  func shapesAtASmallWidth(base: GANConfig) {
    var config = base.scaled(baseChannels: 8, name: "test")
    config.conditionChannels = 1
    let generator = LatentGenerator(config)
    let critic = LatentCritic(config)
    generator.initialize(seed: 1)
    critic.initialize(seed: 2)
    let window = config.windowVectors
    let coordinates = Tensor.randn([3, config.inputChannels, window], generator: Generator(seed: 3))
    let latents = generator(coordinates, noise: NoiseSource(seed: 0))
    #expect(latents.shape == [3, 128, window])
    // Two windows side by side, plus the condition channel, make one critic input.
    let pair = Tensor.cat([latents, latents], dim: 2)
    let condition = Tensor.zeros([3, 1, 2 * window])
    #expect(critic(Tensor.cat([pair, condition], dim: 1)).shape == [3])
  }

  @Test func generatorNoiseIsSeeded() throws {
    let config = GANConfig.musika44k.scaled(baseChannels: 8, name: "test")
    let generator = LatentGenerator(config)
    generator.initialize(seed: 4)
    for (name, p) in generator.namedParameters() where name.hasSuffix("noise.strength") { p.fill(0.2) }
    let coordinates = Tensor.randn([1, 128, 128], generator: Generator(seed: 5))
    let a = generator(coordinates, noise: NoiseSource(seed: 6))
    let b = generator(coordinates, noise: NoiseSource(seed: 6))
    #expect(identical(a, b), "\(difference(a, b))")
    #expect(!identical(a, generator(coordinates, noise: NoiseSource(seed: 7))))
  }
}
