import Foundation
import Torch

/// Pixel shuffle along time (×2): halves the channels, doubles the length, with channels interleaved
/// as in the original: out[b, j, 2w + r] = in[b, 2j + r, w].
func pixelShuffle1d(_ x: Tensor) -> Tensor {
  let (batch, channels, length) = (x.size(0), x.size(1), x.size(2))
  return x.reshape(batch, channels / 2, 2, length).permute(0, 1, 3, 2).reshape(batch, channels / 2, 2 * length)
}

/// Nearest-neighbour ×2 along time: out[b, c, 2w + r] = in[b, c, w].
func nearestUpsample1d(_ x: Tensor) -> Tensor {
  let (batch, channels, length) = (x.size(0), x.size(1), x.size(2))
  return x.unsqueeze(3).expand([batch, channels, length, 2]).reshape(batch, channels, 2 * length)
}

/// x (batch, channels, T) one step along time, the edge held: `earlier` → x[1…T−1], x[T−1];
/// otherwise x[0], x[0…T−2].
func heldShift1d(_ x: Tensor, earlier: Bool) -> Tensor {
  x.pad(earlier ? [0, 1] : [1, 0], mode: .replicate).narrow(dim: 2, start: earlier ? 1 : 0, length: x.size(2))
}

/// Linear ×2 along time (PyTorch's `interpolate(mode: linear, align_corners: false)`, edges held):
/// out[2w] = ¾·in[w] + ¼·in[w−1], out[2w+1] = ¾·in[w] + ¼·in[w+1]. Unlike the nearest repeat, it
/// leaves no flat step inside a pair of vectors and a jump to the next pair.
func linearUpsample1d(_ x: Tensor) -> Tensor {
  let (batch, channels, length) = (x.size(0), x.size(1), x.size(2))
  let even = x * 0.75 + heldShift1d(x, earlier: false) * 0.25
  let odd = x * 0.75 + heldShift1d(x, earlier: true) * 0.25
  return Tensor.stack([even, odd], dim: 3).reshape(batch, channels, 2 * length)
}

extension GANConfig {
  /// Latents in units of `latentScale` (what generator and critic work in) → the codec's units.
  func inCodecUnits(_ latents: Tensor) -> Tensor { latentScaleValue == 1 ? latents : latents * latentScaleValue }
  /// Latents in the codec's units → units of `latentScale`.
  func inScaleUnits(_ latents: Tensor) -> Tensor { latentScaleValue == 1 ? latents : latents / latentScaleValue }
}

extension GANConfig.Upsampling {
  /// The fixed (weightless) ×2 of the nearest and linear modes; nil for the transposed mode.
  func interpolate(_ x: Tensor) -> Tensor? {
    switch self {
    case .transposed: nil
    case .nearest: nearestUpsample1d(x)
    case .linear: linearUpsample1d(x)
    }
  }
}

/// A residual upsampling stage: h = √½·block(x); h = √½·block(h); out = h + Conv1×1(PixelShuffle(x))
/// (with `.nearest` or `.linear` upsampling: Conv1×1(that ×2 of x)).
/// (The small model's first stage keeps the length: k1 blocks and a Conv1×1(x) residual.)
final class ResidualUpStage: Module {
  let first: GeneratorBlock
  let second: GeneratorBlock
  let residual: Conv1d
  let upsamples: Bool
  let upsampling: GANConfig.Upsampling

  init(_ inChannels: Int, _ outChannels: Int, coordinateChannels: Int, upsamples: Bool,
       upsampling: GANConfig.Upsampling = .transposed, edges: GANConfig.Edges = .zeros) {
    first = GeneratorBlock(inChannels, outChannels, coordinateChannels: coordinateChannels,
                           kind: upsamples ? .upsample : .pointwise, upsampling: upsampling, edges: edges)
    second = GeneratorBlock(outChannels, outChannels, coordinateChannels: coordinateChannels,
                            kind: upsamples ? .same : .pointwise, edges: edges)
    let shuffled = upsamples && upsampling == .transposed
    residual = Conv1d(shuffled ? inChannels / 2 : inChannels, outChannels, kernel: 1, .init(initializer: .heUniform))
    self.upsamples = upsamples
    self.upsampling = upsampling
  }

  func callAsFunction(_ x: Tensor, _ coordinates: Tensor, noise: NoiseSource) -> Tensor {
    let h = first(x, coordinates, noise: noise) * 0.5.squareRoot()
    let h2 = second(h, coordinates, noise: noise) * 0.5.squareRoot()
    guard upsamples else { return h2 + residual(x) }
    return h2 + residual(upsampling.interpolate(x) ?? pixelShuffle1d(x))
  }
}

/// The generator (reference §5.2): one window of coordinates → one window of latents.
///
/// | stage | computation                                            | out (T × C) full model |
/// |-------|--------------------------------------------------------|------------------------|
/// | stem  | Dense(flatten(coords pooled to 2)) → 4×7b, noise, AdaIN | 4 × 896                |
/// | A     | residual up stage, 6b                                   | 8 × 768                |
/// | B     | residual up stage, 5b                                   | 16 × 640               |
/// | C     | residual up stage, 4b                                   | 32 × 512               |
/// | D     | residual up stage, 3b                                   | 64 × 384               |
/// | E     | genblock up, 2b, full-resolution coordinates            | 128 × 256              |
/// | out   | conv k4 → latentChannels, linear                        | 128 × 128              |
///
/// Each stage's AdaIN reads the coordinates average-pooled to its length. The small model's stage A
/// keeps length 4 (k1 convolutions), so its output is 64 vectors. With `upsampling: .nearest` (our
/// presets) or `.linear`, every "up" interpolates ×2 and convolves instead of using a transposed
/// convolution and pixel shuffle, whose two output phases have separate weights (a period-2 pattern).
public final class LatentGenerator: Module {
  public let config: GANConfig
  let stem: Linear
  let stemNoise = NoiseInjection()
  let stemNorm: AdaptiveInstanceNorm
  let stages: [ResidualUpStage]
  let last: GeneratorBlock
  let out: Conv1d

  public init(_ config: GANConfig) {
    self.config = config
    let b = config.baseChannels
    let c = config.inputChannels
    stem = Linear(2 * c, 4 * 7 * b, initializer: .heUniform)
    stemNorm = AdaptiveInstanceNorm(coordinateChannels: c, channels: 7 * b)
    let (u, e) = (config.upsamplingMode, config.edgeMode)
    stages = [
      ResidualUpStage(7 * b, 6 * b, coordinateChannels: c, upsamples: !config.isSmall, upsampling: u, edges: e),
      ResidualUpStage(6 * b, 5 * b, coordinateChannels: c, upsamples: true, upsampling: u, edges: e),
      ResidualUpStage(5 * b, 4 * b, coordinateChannels: c, upsamples: true, upsampling: u, edges: e),
      ResidualUpStage(4 * b, 3 * b, coordinateChannels: c, upsamples: true, upsampling: u, edges: e),
    ]
    last = GeneratorBlock(3 * b, 2 * b, coordinateChannels: c, kind: .upsample, upsampling: u, edges: e)
    out = Conv1d(2 * b, config.latentChannels, kernel: 4,
                 .init(padding: .same, initializer: .heUniform, edges: e.paddingMode))
  }

  /// coordinates (batch, inputChannels, windowVectors) → latents (batch, latentChannels, windowVectors)
  /// in the codec's units; the noise layers draw from `noise`.
  public func callAsFunction(_ coordinates: Tensor, noise: NoiseSource) -> Tensor {
    config.inCodecUnits(standardized(coordinates, noise: noise))
  }

  /// As `callAsFunction`, in units of `GANConfig.latentScale` (what the critic judges in training).
  public func standardized(_ coordinates: Tensor, noise: NoiseSource) -> Tensor {
    let window = config.windowVectors
    precondition(coordinates.size(2) == window, "LatentGenerator: expected \(window) coordinate vectors, got \(coordinates.size(2))")
    // pyramid[k] = coordinates average-pooled k times (length window / 2^k).
    var pyramid = [coordinates]
    while pyramid.last!.size(2) > 2 { pyramid.append(pyramid.last!.avgPool1d(kernel: 2)) }
    func at(_ length: Int) -> Tensor { pyramid.first { $0.size(2) == length }! }

    let batch = coordinates.size(0)
    let b = config.baseChannels
    // The original flattens (time, channel) with channels fastest and reshapes the output the same way.
    let flat = at(2).permute(0, 2, 1).reshape(batch, 2 * config.inputChannels)
    var x = stem(flat).reshape(batch, 4, 7 * b).permute(0, 2, 1)  // (batch, 7b, 4)
    x = stemNorm(stemNoise(x, noise: noise), at(4)).silu()
    for stage in stages {
      let length = stage.upsamples ? 2 * x.size(2) : x.size(2)
      x = stage(x, at(length), noise: noise)
    }
    x = last(x, at(window), noise: noise)
    return out(x)
  }
}
