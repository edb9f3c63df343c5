/// Architecture of the latent GAN (reference §5). Stored in a model's config.json.
public struct GANConfig: Codable, Sendable, Equatable {
  /// 2: `latentScale` (a release that predates it would play such a model's latents 1/scale too loud,
  /// so it must refuse it instead). Configs without a latent scale are written as 1.
  public static let currentFormatVersion = 2

  public var formatVersion: Int
  public var name: String
  /// Generator/critic width unit b (128 in the original).
  public var baseChannels: Int
  /// Latent channels per vector: left and right level-2 latents together (2 × the codec's vector size).
  public var latentChannels: Int
  /// Coordinate channels: the first half local (interpolated between anchors), the second global.
  public var coordinateChannels: Int
  /// Extra conditioning channels appended to the coordinates (and beside the critic's latents):
  /// 0 for unconditional models.
  public var conditionChannels: Int
  /// Vectors one generator window produces (128 = 11.9 s; 64 for the small model).
  public var windowVectors: Int
  /// How the generator doubles the length at each stage; nil (older configs, the original's presets)
  /// is the original's.
  public var upsampling: Upsampling?
  /// Tempo-conditioned generators may read a beat clock (`TempoClock`): 4 more input channels after
  /// the conditions. nil or 0 (older configs, the original's presets): none.
  public var clockChannels: Int?
  /// With a beat clock, the critic may see the sine and cosine of the beat phase too (2 channels
  /// after its conditions): for real crops from the beats tracked in the music (`musika label`), for
  /// generated ones from the generator's clock, so that it can tell beats that sit where the clock
  /// says from beats that do not. nil or 0: it sees none. Not used when generating.
  public var criticClockChannels: Int?
  /// What the generator's convolutions see beyond a window's ends; nil (older configs, the original's
  /// presets) is zeros.
  public var edges: Edges?
  /// The typical size (RMS) of the codec's latents, which generator and critic work in units of: the
  /// generator's output is multiplied by it and real latents are divided by it in training, so that
  /// both nets see latents of unit size whatever the codec. nil (older configs, the original's
  /// presets): 1. A codec whose latents are small (RMS 0.07: the 2026-12-07 codec) otherwise leaves the
  /// generator's last layer with weights ~14× below their initial size, moved by Adam's steps of fixed
  /// size, and the critic's R1 penalty ~200× heavier for the same function.
  public var latentScale: Double?

  /// The padding of the generator's k4 convolutions at a window's two ends.
  public enum Edges: String, Codable, Sendable, CaseIterable {
    /// Zeros, as the original (Keras 'same'). With the nearest or linear upsampling, the right end
    /// sees two zeros at each of six stages and the last vectors of every window come out quiet
    /// (techno-clock at step 12 000: latent power 0.40 of the interior at the last vector, 0.72 at
    /// the first; −2.6 dB of audio level within a vector of each window boundary).
    case zeros
    /// The end vector repeated: no step down to silence at the ends.
    case replicate
    /// The vectors next to the end mirrored around it.
    case reflect
  }

  public var edgeMode: Edges { edges ?? .zeros }

  /// The generator's ×2 upsampling.
  public enum Upsampling: String, Codable, Sendable, CaseIterable {
    /// The original's: transposed convolution k4 s2, and pixel shuffle on the residual path. Its two
    /// output phases use different weights, which can leave a period-2 (checkerboard) pattern.
    case transposed
    /// Nearest-neighbour repeat, then convolution k4 (and k1 on the residual path): both output
    /// phases see the same weights, so no period-2 pattern is built in.
    case nearest
    /// Linear interpolation (¼, ¾ of the neighbours), then convolution k4 (and k1 on the residual
    /// path): as `nearest`, but the interpolated features change smoothly across a pair instead of
    /// in steps of two vectors (the nearest-upsampled techno runs learned to pair their vectors:
    /// pairing ratio 0.88 at step 2 000, 0.68 at 12 126; real latents 0.98–1.00).
    case linear
  }

  public var upsamplingMode: Upsampling { upsampling ?? .transposed }

  public var latentScaleValue: Double { latentScale ?? 1 }

  /// The oldest format that holds everything this config uses.
  public var requiredFormatVersion: Int { latentScale == nil ? 1 : 2 }

  /// The original's generator (15 499 530 parameters) and critic (20 786 689).
  public static let musika44k = GANConfig(formatVersion: 1, name: "musika-44k", baseChannels: 128,
                                          latentChannels: 128, coordinateChannels: 128, conditionChannels: 0,
                                          windowVectors: 128)
  /// The original's `--small` model: 64-vector windows (12 009 738 and 16 770 817 parameters).
  public static let musika44kSmall = GANConfig(formatVersion: 1, name: "musika-44k-small",
                                               baseChannels: 128, latentChannels: 128, coordinateChannels: 128,
                                               conditionChannels: 0, windowVectors: 64)

  public var isSmall: Bool { windowVectors == 64 }
  /// Generator input channels: coordinates, conditions, then the beat clock if any.
  public var inputChannels: Int { coordinateChannels + conditionChannels + clockChannelCount }
  public var clockChannelCount: Int { clockChannels ?? 0 }
  public var criticClockChannelCount: Int { criticClockChannels ?? 0 }
  /// Critic input channels: latents, conditions, then the beat phase if any.
  public var criticInputChannels: Int { latentChannels + conditionChannels + criticClockChannelCount }
  /// The critic sees two generator windows side by side, so it judges their seam.
  public var criticVectors: Int { 2 * windowVectors }

  public func scaled(baseChannels: Int, name: String) -> GANConfig {
    var copy = self
    copy.baseChannels = baseChannels
    copy.name = name
    return copy
  }

  public func with(upsampling: Upsampling) -> GANConfig {
    var copy = self
    copy.upsampling = upsampling
    return copy
  }

  public func with(edges: Edges) -> GANConfig {
    var copy = self
    copy.edges = edges
    return copy
  }

  public func validate() throws {
    func fail(_ reason: String) -> MusikaError { .invalidConfig("GAN '\(name)': \(reason)") }
    guard formatVersion <= Self.currentFormatVersion else {
      throw fail("format version \(formatVersion) is newer than this release understands; update musika")
    }
    guard windowVectors == 128 || windowVectors == 64 else { throw fail("windowVectors must be 128 or 64") }
    guard baseChannels >= 2, baseChannels % 2 == 0 else { throw fail("baseChannels must be even and positive") }
    guard latentChannels > 0, coordinateChannels >= 2, coordinateChannels % 2 == 0, conditionChannels >= 0 else {
      throw fail("latent and coordinate channels must be positive (coordinates even), conditions ≥ 0")
    }
    guard latentScaleValue > 0, latentScaleValue.isFinite else { throw fail("latentScale must be positive") }
    guard clockChannelCount == 0 || clockChannelCount == TempoClock.channelCount else {
      throw fail("clockChannels must be 0 or \(TempoClock.channelCount)")
    }
    guard criticClockChannelCount == 0 || (criticClockChannelCount == TempoClock.beatChannelCount && clockChannelCount > 0) else {
      throw fail("criticClockChannels must be 0, or \(TempoClock.beatChannelCount) with a beat clock (clockChannels)")
    }
  }
}
