import Torch

/// Musika's AdaIN variant (reference §5.2): divide by the per-channel standard deviation over time
/// and multiply by a style computed from the coordinates, which varies along time. No mean is
/// subtracted and no shift added.
///
///   y = x / (std_T(x) + 1e-5) · Conv1×1(coordinates)
/// Key: `style.weight`, `style.bias`.
final class AdaptiveInstanceNorm: Module {
  let style: Conv1d

  init(coordinateChannels: Int, channels: Int) {
    style = Conv1d(coordinateChannels, channels, kernel: 1, .init(initializer: .heUniform))
  }

  /// x (batch, channels, T), coordinates (batch, coordinateChannels, T) → (batch, channels, T).
  func callAsFunction(_ x: Tensor, _ coordinates: Tensor) -> Tensor {
    x / (x.std(dims: [2], correction: 0, keepDim: true) + 1e-5) * style(coordinates)
  }
}

extension GANConfig.Edges {
  var paddingMode: PaddingMode {
    switch self {
    case .zeros: .constant(0)
    case .replicate: .replicate
    case .reflect: .reflect
    }
  }
}

/// The original's `genblock`: a convolution (transposed k4 s2 to upsample — or nearest/linear ×2 then
/// k4 'same' with `.nearest`/`.linear` upsampling —, else k4 s1 'same', or k1), noise injection, AdaIN from the
/// coordinates at this resolution, swish.
final class GeneratorBlock: Module {
  let conv: any Layer
  let noise = NoiseInjection()
  let norm: AdaptiveInstanceNorm
  let interpolation: GANConfig.Upsampling?

  enum Kind { case upsample, same, pointwise }

  init(_ inChannels: Int, _ outChannels: Int, coordinateChannels: Int, kind: Kind,
       upsampling: GANConfig.Upsampling = .transposed, edges: GANConfig.Edges = .zeros) {
    interpolation = kind == .upsample && upsampling != .transposed ? upsampling : nil
    switch kind {
    case .upsample where upsampling != .transposed:
      conv = Conv1d(inChannels, outChannels, kernel: 4, .init(padding: .same, initializer: .heUniform, edges: edges.paddingMode))
    case .upsample:
      conv = ConvTranspose1d(inChannels, outChannels, kernel: 4, .init(stride: 2, padding: .same, initializer: .heUniform))
    case .same:
      conv = Conv1d(inChannels, outChannels, kernel: 4, .init(padding: .same, initializer: .heUniform, edges: edges.paddingMode))
    case .pointwise:
      conv = Conv1d(inChannels, outChannels, kernel: 1, .init(initializer: .heUniform))
    }
    norm = AdaptiveInstanceNorm(coordinateChannels: coordinateChannels, channels: outChannels)
  }

  func callAsFunction(_ x: Tensor, _ coordinates: Tensor, noise source: NoiseSource) -> Tensor {
    norm(noise(conv(interpolation?.interpolate(x) ?? x), noise: source), coordinates).silu()
  }
}
