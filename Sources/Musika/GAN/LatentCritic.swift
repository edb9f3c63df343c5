import Foundation
import Torch

/// The critic's residual downsampling block (reference §5.3):
/// y = √½·lrelu(conv_k(x)); y = √½·lrelu(conv_k s2(y)); out = y + [Conv1×1 without bias](AvgPool2(x)),
/// the 1×1 only when the width changes. The skip is not scaled.
final class CriticBlock: Module {
  let conv1: Conv1d
  let conv2: Conv1d
  let skip: Conv1d?

  init(_ inChannels: Int, _ outChannels: Int, firstKernel: Int) {
    conv1 = Conv1d(inChannels, inChannels, kernel: firstKernel, .init(padding: .same, initializer: .heUniform))
    conv2 = Conv1d(inChannels, outChannels, kernel: 4, .init(stride: 2, padding: .same, initializer: .heUniform))
    skip = inChannels == outChannels ? nil
      : Conv1d(inChannels, outChannels, kernel: 1, .init(bias: false, initializer: .heUniform))
  }

  func callAsFunction(_ x: Tensor) -> Tensor {
    let y = conv1(x).leakyRelu(0.2) * 0.5.squareRoot()
    let y2 = conv2(y).leakyRelu(0.2) * 0.5.squareRoot()
    let pooled = x.avgPool1d(kernel: 2)
    return y2 + (skip.map { $0(pooled) } ?? pooled)
  }
}

/// The critic (reference §5.3): scores two generator windows side by side (plus any conditioning
/// channels, and the beat phase with `GANConfig.criticClockChannels`), so the seam between
/// independently generated windows is trained adversarially.
///
///   conv k4 s2 → 3b · blocks → 4b, 5b, 6b, 7b (and 7b with a 1×1 first kernel in the full model)
///   · conv k3 → 7b · flatten (4 × 7b) · Dense → 1. LeakyReLU 0.2, no normalisation.
public final class LatentCritic: Module {
  public let config: GANConfig
  let first: Conv1d
  let blocks: [CriticBlock]
  let last: Conv1d
  let score: Linear

  public init(_ config: GANConfig) {
    self.config = config
    let b = config.baseChannels
    first = Conv1d(config.criticInputChannels, 3 * b, kernel: 4,
                   .init(stride: 2, padding: .same, initializer: .heUniform))
    var blocks = [
      CriticBlock(3 * b, 4 * b, firstKernel: 4), CriticBlock(4 * b, 5 * b, firstKernel: 4),
      CriticBlock(5 * b, 6 * b, firstKernel: 4), CriticBlock(6 * b, 7 * b, firstKernel: 4),
    ]
    if !config.isSmall { blocks.append(CriticBlock(7 * b, 7 * b, firstKernel: 1)) }
    self.blocks = blocks
    last = Conv1d(7 * b, 7 * b, kernel: 3, .init(padding: .same, initializer: .heUniform))
    score = Linear(4 * 7 * b, 1, initializer: .heUniform)
  }

  /// latents (batch, criticInputChannels, criticVectors) → scores (batch).
  public func callAsFunction(_ x: Tensor) -> Tensor {
    var h = first(x).leakyRelu(0.2)
    for block in blocks { h = block(h) }
    h = last(h).leakyRelu(0.2)  // (batch, 7b, 4)
    let flat = h.permute(0, 2, 1).reshape(h.size(0), -1)  // time-major, as the original flattens
    return score(flat).squeeze(1)
  }
}
