/// One convolution of the benchmarked decoder stack: (batch, inChannels, inputLength) → (batch, outChannels, ·).
public struct ConvShape: Sendable {
  public enum Kind: Sendable { case conv, transposed }

  public let name: String
  public let kind: Kind
  public let inChannels: Int
  public let outChannels: Int
  public let kernel: Int
  public let stride: Int
  public let inputLength: Int

  public var outputLength: Int {
    kind == .conv ? (inputLength + stride - 1) / stride : inputLength * stride
  }

  /// Multiply-adds for one batch item.
  public var macs: Int {
    kind == .conv
      ? outChannels * outputLength * inChannels * kernel
      : inChannels * inputLength * outChannels * kernel
  }
}

/// The convolution shapes of the full-size 44.1 kHz Musika decoders (reference §3–4), per decoder
/// window: DEC2 turns 4 latent vectors into 64 frames, DEC turns 64 frames into a 64×513 magnitude
/// and phase. One window of each decodes 16 384 samples (0.372 s) of one channel; these layers are
/// ~99 % of generation time.
public enum DecoderConvShapes {
  public static let samplesPerWindow = 16_384

  /// Level-2 decoder (DEC2): 4 vectors × 64 → 64 frames × 64.
  public static let level2: [ConvShape] = [
    ConvShape(name: "dec2.c0 k3", kind: .conv, inChannels: 64, outChannels: 768, kernel: 3, stride: 1, inputLength: 4),
    ConvShape(name: "dec2.u1 k4s2↑", kind: .transposed, inChannels: 768, outChannels: 640, kernel: 4, stride: 2, inputLength: 4),
    ConvShape(name: "dec2.c1 k3", kind: .conv, inChannels: 640, outChannels: 640, kernel: 3, stride: 1, inputLength: 8),
    ConvShape(name: "dec2.u2 k4s2↑", kind: .transposed, inChannels: 640, outChannels: 512, kernel: 4, stride: 2, inputLength: 8),
    ConvShape(name: "dec2.c2 k3", kind: .conv, inChannels: 512, outChannels: 512, kernel: 3, stride: 1, inputLength: 16),
    ConvShape(name: "dec2.u3 k4s2↑", kind: .transposed, inChannels: 512, outChannels: 384, kernel: 4, stride: 2, inputLength: 16),
    ConvShape(name: "dec2.u4 k4s2↑", kind: .transposed, inChannels: 384, outChannels: 256, kernel: 4, stride: 2, inputLength: 32),
    ConvShape(name: "dec2.out k1", kind: .conv, inChannels: 256, outChannels: 64, kernel: 1, stride: 1, inputLength: 64),
  ]

  /// Level-1 decoder (DEC): 64 frames × 64 → magnitude and phase, 64 frames × 513 each.
  public static let level1: [ConvShape] = [
    ConvShape(name: "dec.g0 k3", kind: .conv, inChannels: 64, outChannels: 768, kernel: 3, stride: 1, inputLength: 64),
    ConvShape(name: "dec.g1 k3s2", kind: .conv, inChannels: 768, outChannels: 768, kernel: 3, stride: 2, inputLength: 64),
    ConvShape(name: "dec.g2 k3s2", kind: .conv, inChannels: 768, outChannels: 512, kernel: 3, stride: 2, inputLength: 32),
    ConvShape(name: "dec.g3 k3s2", kind: .conv, inChannels: 512, outChannels: 256, kernel: 3, stride: 2, inputLength: 16),
    ConvShape(name: "dec.g22 k4s2↑", kind: .transposed, inChannels: 256, outChannels: 512, kernel: 4, stride: 2, inputLength: 8),
    ConvShape(name: "dec.g11 k4s2↑", kind: .transposed, inChannels: 512, outChannels: 768, kernel: 4, stride: 2, inputLength: 16),
    ConvShape(name: "dec.g00 k4s2↑", kind: .transposed, inChannels: 768, outChannels: 768, kernel: 4, stride: 2, inputLength: 32),
    ConvShape(name: "dec.mag k1", kind: .conv, inChannels: 768, outChannels: 513, kernel: 1, stride: 1, inputLength: 64),
    ConvShape(name: "dec.p1 k4s2↑", kind: .transposed, inChannels: 512, outChannels: 768, kernel: 4, stride: 2, inputLength: 16),
    ConvShape(name: "dec.p2 k4s2↑", kind: .transposed, inChannels: 768, outChannels: 768, kernel: 4, stride: 2, inputLength: 32),
    ConvShape(name: "dec.phase k1", kind: .conv, inChannels: 768, outChannels: 513, kernel: 1, stride: 1, inputLength: 64),
  ]

  public static var all: [ConvShape] { level2 + level1 }

  /// The layers a decode runs: with the phase integrated from the magnitude, DEC's phase head
  /// (`dec.p1`, `dec.p2`, `dec.phase`) is skipped.
  public static func run(phaseFrom source: PhaseSource) -> [ConvShape] {
    source == .decoder ? all : all.filter { !phaseHead.contains($0.name) }
  }

  static let phaseHead: Set<String> = ["dec.p1 k4s2↑", "dec.p2 k4s2↑", "dec.phase k1"]
}
