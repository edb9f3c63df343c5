import Foundation
/// Architecture and signal constants of a two-level spectral codec (reference §1–4). Stored as the
/// `codec` part of a model's config.json; `formatVersion` guards against files from a newer release.
public struct CodecConfig: Codable, Sendable, Equatable {
  /// 2: `phase` may be `.advance`. A codec is written with the lowest version that can read it, so
  /// configs with the original's phase stay readable by releases that only know version 1.
  public static let currentFormatVersion = 2

  public var formatVersion: Int
  public var name: String
  public var sampleRate: Int
  public var nFFT: Int
  public var hop: Int
  /// Log-power normalisation: S = (dB − mu) / sigma.
  public var mu: Double
  public var sigma: Double
  /// Level-1 latent size per frame and channel (tanh-bounded).
  public var latentChannels: Int
  /// Level-2 latent size per vector and channel (tanh-bounded); one vector per `framesPerVector` frames.
  public var vectorChannels: Int
  /// ENC: width of its five 1×1 layers.
  public var encoderWidth: Int
  /// DEC: widths of g0, g1, g2, g3 (the U-Net's levels at 64, 32, 16, 8 frames).
  public var decoderWidths: [Int]
  /// ENC2: widths at 16, 7, 3 and 1 frames.
  public var latentEncoderWidths: [Int]
  /// DEC2: widths at 4, 8, 16, 32 and 64 frames.
  public var latentDecoderWidths: [Int]
  /// How DEC's phase output is read; nil (configs written before it existed) is `.absolute`. Set it
  /// with `withPhase`, which also raises `formatVersion` where older releases could not read it.
  public var phase: PhaseRepresentation? = nil
  /// Where decoding takes the phase from; nil (configs written before it existed) is `.decoder`.
  /// A decoding choice, not part of the trained networks: a release that does not know it decodes
  /// with DEC's phase head, as before.
  public var phaseSource: PhaseSource? = nil
  /// Decibels added to each STFT bin's level when synthesising (`bins` values; nil: none), measured by
  /// `musika codec calibrate` on music: decoding returns music a few dB quieter than it went in, more
  /// so in some bands (the L1 losses aim below the mean; phase that does not fit the magnitude cancels
  /// in the overlap-add). A decoding setting, like `phaseSource`: training ignores it, and a release that
  /// does not know it decodes without it.
  public var equalizationDb: [Double]? = nil
  /// Fast Griffin-Lim iterations that refine the phase integrated from the magnitude
  /// (`phaseSource` magnitude; nil: 0). The integration estimates each frame's phase from its
  /// neighbours' magnitudes and does not make the overlapping frames agree, which a decoder's magnitude
  /// (no STFT's exactly) makes worse. A decoding setting, like `phaseSource`.
  public var phaseIterations: Int? = nil

  /// This config with DEC's phase read as `representation`.
  public func withPhase(_ representation: PhaseRepresentation) -> CodecConfig {
    var copy = self
    copy.phase = representation
    if representation != .absolute { copy.formatVersion = max(copy.formatVersion, 2) }
    return copy
  }

  /// This config with its normalisation's −1 set `decibels` below a full-scale sine (and +1 6 dB
  /// above one). The original's μ = −25, σ = 75 put −1 about 148 dB below a full-scale sine: most of
  /// DEC's output range then goes to levels no one hears (and to the holes a lossy file's encoder
  /// cut), where L1 losses spend their effort. Floored at 100 dB, a 64-component PCA of log-magnitude
  /// frames decodes held-out game music with a log-mel L1 of 0.28 (Griffin-Lim) instead of 0.39.
  public func withFloor(decibelsBelowFullScale decibels: Double) -> CodecConfig {
    let fullScaleSine = 20 * Foundation.log10(Double(nFFT) / 4)  // |X| of a unit sine: Σ hann / 2
    let top = fullScaleSine + 6, bottom = fullScaleSine - decibels
    var copy = self
    copy.mu = (top + bottom) / 2
    copy.sigma = (top - bottom) / 2
    return copy
  }

  /// Each iteration of phase refinement reaches 3 frames further (at hop nFFT/4), and a stream decodes
  /// that many frames ahead of what it plays: 16 iterations would be 48 frames.
  public static let maximumPhaseIterations = 16

  /// This config without its name and decoding settings (equalisation, phase source and iterations, which
  /// `codec calibrate` writes into a codec folder): two codecs whose `networks` are equal have the same
  /// networks and signal constants, so one's weights load into the other.
  public var networks: CodecConfig {
    var copy = self
    (copy.name, copy.equalizationDb, copy.phaseSource, copy.phaseIterations) = ("", nil, nil, nil)
    return copy
  }

  /// ENC2's valid convolutions map exactly 16 frames to one vector.
  public var framesPerVector: Int { 16 }
  public var bins: Int { nFFT / 2 + 1 }

  /// The original 44.1 kHz universal codec: exactly its parameter counts
  /// (ENC 4 790 336, DEC 12 673 291, ENC2 3 984 960, DEC2 6 639 303).
  public static let musika44k = CodecConfig(
    formatVersion: 1, name: "musika-44k", sampleRate: 44_100, nFFT: 1024, hop: 256, mu: -25,
    sigma: 75, latentChannels: 64, vectorChannels: 64, encoderWidth: 1024, decoderWidths: [768, 768, 512, 256],
    latentEncoderWidths: [256, 384, 512, 768], latentDecoderWidths: [768, 640, 512, 384, 256])

  /// The same architecture with every width multiplied by `factor` (rounded to a multiple of 8),
  /// for codecs that train on a CPU in hours.
  public func scaled(by factor: Double, name: String) -> CodecConfig {
    func s(_ w: Int) -> Int { max(8, Int((Double(w) * factor / 8).rounded()) * 8) }
    var copy = self
    copy.name = name
    copy.encoderWidth = s(encoderWidth)
    copy.decoderWidths = decoderWidths.map(s)
    copy.latentEncoderWidths = latentEncoderWidths.map(s)
    copy.latentDecoderWidths = latentDecoderWidths.map(s)
    return copy
  }

  /// Checks what the networks rely on; a config read from disk goes through this.
  public func validate() throws {
    func fail(_ reason: String) -> MusikaError { .invalidConfig("codec '\(name)': \(reason)") }
    guard formatVersion <= Self.currentFormatVersion else {
      throw fail("format version \(formatVersion) is newer than this release understands (\(Self.currentFormatVersion)); update musika")
    }
    guard sampleRate > 0, nFFT > 0, hop > 0, nFFT % hop == 0 else {
      throw fail("needs a positive sample rate and nFFT a multiple of hop")
    }
    guard sigma > 0 else { throw fail("sigma must be positive") }
    guard decoderWidths.count == 4, latentEncoderWidths.count == 4, latentDecoderWidths.count == 5 else {
      throw fail("needs 4 decoder widths, 4 latent-encoder widths and 5 latent-decoder widths")
    }
    let all = [latentChannels, vectorChannels, encoderWidth] + decoderWidths + latentEncoderWidths + latentDecoderWidths
    guard all.allSatisfy({ $0 > 0 }) else { throw fail("every width must be positive") }
    if let phaseIterations, !(0...Self.maximumPhaseIterations).contains(phaseIterations) {
      throw fail("phaseIterations must be between 0 and \(Self.maximumPhaseIterations) (got \(phaseIterations))")
    }
    if let equalizationDb {
      guard equalizationDb.count == bins, equalizationDb.allSatisfy({ $0.isFinite && abs($0) <= 40 }) else {
        throw fail("equalizationDb needs \(bins) values (one per STFT bin) within ±40 dB; run musika codec calibrate again")
      }
    }
  }
}
