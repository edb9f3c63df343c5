import Torch

/// DEC, the level-1 decoder (reference §3): a U-Net over frames with separate magnitude and phase
/// heads. Every convolution except the two heads has noise injection and swish; skips are added.
///
/// | layer | op                          | out (frames × channels) at 64 frames in |
/// |-------|-----------------------------|------------------------------------------|
/// | g0    | conv k3                     | 64 × w0                                  |
/// | g1    | conv k3 s2                  | 32 × w1                                  |
/// | g2    | conv k3 s2                  | 16 × w2                                  |
/// | g3    | conv k3 s2                  | 8 × w3                                   |
/// | g22   | up (g3)                     | 16 × w2                                  |
/// | g11   | up (g22 + g2)               | 32 × w1                                  |
/// | g00   | up (g11 + g1)               | 64 × w0                                  |
/// | mag   | conv 1×1 (g00 + g0), linear | 64 × bins, clipped to ±1                 |
/// | p1    | up (g22)                    | 32 × w1                                  |
/// | p2    | up (p1 + g11)               | 64 × w0                                  |
/// | phase | conv 1×1 (p2 + g00), linear | 64 × bins, clipped to ±1                 |
public final class SpectralDecoder: Module {
  let g0: ConvUnit
  let g1: ConvUnit
  let g2: ConvUnit
  let g3: ConvUnit
  let g22: ConvUnit
  let g11: ConvUnit
  let g00: ConvUnit
  let mag: Conv1d
  let p1: ConvUnit
  let p2: ConvUnit
  let phase: Conv1d

  public init(_ config: CodecConfig) {
    let w = config.decoderWidths
    g0 = ConvUnit(config.latentChannels, w[0], kernel: 3, noise: true)
    g1 = ConvUnit(w[0], w[1], kernel: 3, stride: 2, noise: true)
    g2 = ConvUnit(w[1], w[2], kernel: 3, stride: 2, noise: true)
    g3 = ConvUnit(w[2], w[3], kernel: 3, stride: 2, noise: true)
    g22 = ConvUnit(upsampling: w[3], w[2], noise: true)
    g11 = ConvUnit(upsampling: w[2], w[1], noise: true)
    g00 = ConvUnit(upsampling: w[1], w[0], noise: true)
    mag = Conv1d(w[0], config.bins, kernel: 1, .init(initializer: .heUniform))
    p1 = ConvUnit(upsampling: w[2], w[1], noise: true)
    p2 = ConvUnit(upsampling: w[1], w[0], noise: true)
    phase = Conv1d(w[0], config.bins, kernel: 1, .init(initializer: .heUniform))
  }

  /// How far an output frame reaches into the input, in frames, over the longer of the two heads'
  /// paths (29 for the original's layers).
  public var receptiveRadius: Double {
    let down: [any Layer] = [g0.conv, g1.conv, g2.conv, g3.conv, g22.conv]
    return max(ReceptiveField.radius(of: down + [g11.conv, g00.conv, mag]),
               ReceptiveField.radius(of: down + [p1.conv, p2.conv, phase]))
  }

  /// Input frames per step of the U-Net's deepest level: chunks must start at multiples of this so
  /// that their strided grids line up with the whole piece's.
  public var alignment: Int { 8 }

  /// latents (batch, latentChannels, frames), frames a multiple of 8 →
  /// (magnitude, phase), each (batch, bins, frames) in [−1, 1].
  public func callAsFunction(_ x: Tensor, noise: NoiseSource) -> (magnitude: Tensor, phase: Tensor) {
    let (magnitude, phase) = unclipped(x, noise: noise)
    return (magnitude.clamp(min: -1, max: 1), phase.clamp(min: -1, max: 1))
  }

  /// The heads' outputs before clipping: training uses these, so the gradient does not vanish
  /// where the decoder overshoots ±1.
  public func unclipped(_ x: Tensor, noise: NoiseSource) -> (magnitude: Tensor, phase: Tensor) {
    let (magnitude, phase) = forward(x, noise: noise, phaseHead: true)
    return (magnitude, phase!)
  }

  /// The same, with the phase head only when `phaseHead` (else `phase` is nil): training terms that read
  /// the magnitude alone skip the head's work; the magnitude is the same bit for bit (see `magnitude`).
  public func unclipped(_ x: Tensor, noise: NoiseSource, phaseHead: Bool) -> (magnitude: Tensor, phase: Tensor?) {
    forward(x, noise: noise, phaseHead: phaseHead)
  }

  /// The magnitude alone, clipped: (batch, bins, frames). A phase integrated from the magnitude never
  /// reads the phase head, whose branch (p1, p2, phase) is about 40 % of DEC's work; its noise draws
  /// come last in a pass, so the magnitude is the same as `callAsFunction`'s, bit for bit.
  public func magnitude(_ x: Tensor, noise: NoiseSource) -> Tensor {
    forward(x, noise: noise, phaseHead: false).magnitude.clamp(min: -1, max: 1)
  }

  private func forward(_ x: Tensor, noise: NoiseSource, phaseHead: Bool) -> (magnitude: Tensor, phase: Tensor?) {
    // A skip's sum may overwrite the operand that nothing reads afterwards when decoding (no
    // gradient to keep): five fewer full-size tensors per pass.
    let inPlace = !TorchRuntime.isGradEnabled
    func sum(_ spent: Tensor, _ kept: Tensor) -> Tensor {
      guard inPlace else { return spent + kept }
      spent.addInPlace(kept)
      return spent
    }
    let a0 = g0(x, noise: noise)
    let a1 = g1(a0, noise: noise)
    let a2 = g2(a1, noise: noise)
    let a3 = g3(a2, noise: noise)
    let b2 = g22(a3, noise: noise)
    let b1 = g11(sum(a2, b2), noise: noise)
    let b0 = g00(sum(a1, b1), noise: noise)
    let magnitude = mag(sum(a0, b0))
    guard phaseHead else { return (magnitude, nil) }
    let q1 = p1(b2, noise: noise)
    let q0 = p2(sum(q1, b1), noise: noise)
    return (magnitude, phase(sum(q0, b0)))
  }
}
