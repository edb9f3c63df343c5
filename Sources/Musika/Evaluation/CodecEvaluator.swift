import Audio
import Foundation
import Torch

/// `musika codec eval`: how close a codec's reconstruction is to its input, and how fast it runs.
/// Distances: log-mel L1 (128 Slaney mel bands, n_fft 2048, log10 power) and the multi-resolution
/// STFT distance of training; lower is better. Speeds are real-time factors (seconds of audio per
/// second of compute). Each file also gets the reference row "true magnitude + 32 Griffin-Lim
/// iterations", which has perfect magnitudes and estimated phase.
public struct CodecEvaluator {
  public struct Row: Sendable {
    public let file: String
    public let seconds: Double
    public let logMelL1: Double
    public let stftDistance: Double
    public let referenceLogMelL1: Double
    public let referenceStftDistance: Double
    /// The codec's own magnitude (with its output equalisation, if it has one) with 32 Griffin-Lim
    /// iterations instead of its phase: where this is much better than `logMelL1`, the phase is the weak part.
    public let codecMagnitudeGriffinLimLogMelL1: Double
    /// Decoded as `logMelL1` but with `refineIterations` iterations of fast Griffin-Lim on the phase
    /// integrated from the magnitude, whatever the codec's own setting: what refining the phase gains
    /// (or would). For a codec that refines with as many itself, or decodes with DEC's phase head
    /// (never refined), it equals `logMelL1`.
    public let refinedLogMelL1: Double
    /// Log-mel L1 through level 1 alone (ENC → DEC): what level 2's compression costs on top.
    public let level1LogMelL1: Double
    public let encodeRealTime: Double
    public let decodeRealTime: Double
    /// Spectral flux at decoder-window boundaries ÷ elsewhere: ours, and decoding the original's way.
    public let seamRatio: Double
    public let independentWindowSeamRatio: Double
  }

  public let codec: SpectralCodec
  /// At most this many seconds of each file (from its middle) are evaluated.
  public let maxSeconds: Double

  /// When set, each file's variants are written here as WAV (float32) for listening and probing:
  /// NAME.input.wav (the excerpt), NAME.both-levels.wav, NAME.level1.wav (ENC → DEC only) and
  /// NAME.codec-magnitude-gl.wav (the codec's magnitude with Griffin-Lim phase instead of its own),
  /// NAME.refined.wav (its magnitude and phase, then a few fast Griffin-Lim iterations) and
  /// NAME.true-magnitude-gl.wav (the input's own magnitude with Griffin-Lim phase: the reference).
  public let audioOutput: URL?

  /// Fast Griffin-Lim iterations of the `refinedLogMelL1` column (2–4 take most of the gain; 8 add 0.005).
  public static let refineIterations = 4

  public init(codec: SpectralCodec, maxSeconds: Double = 30, audioOutput: URL? = nil) {
    self.codec = codec
    self.maxSeconds = maxSeconds
    self.audioOutput = audioOutput
  }

  public func evaluate(folder: URL, progress: (String) -> Void = { _ in }) throws -> [Row] {
    let files = try DatasetEncoder.audioFiles(in: folder)
    guard !files.isEmpty else { throw MusikaError.invalidInput("\(folder.path) holds no audio files") }
    var rows: [Row] = []
    for file in files {
      do {
        rows.append(try evaluate(file: folder.appendingPathComponent(file), name: file))
        progress(file)
      } catch {
        progress("\(file): skipped: \(error)")
      }
    }
    return rows
  }

  /// At most `seconds` from the middle of `file`, at `sampleRate`: (2, samples).
  static func middleExcerpt(of file: URL, seconds: Double, sampleRate: Int) throws -> Tensor {
    let audio = try AudioFile.read(file, sampleRate: sampleRate).samples
    let wanted = min(audio.size(1), Int(seconds * Double(sampleRate)))
    return audio.narrow(dim: 1, start: (audio.size(1) - wanted) / 2, length: wanted)
  }

  public func evaluate(file: URL, name: String) throws -> Row {
    let rate = codec.config.sampleRate
    let excerpt = try Self.middleExcerpt(of: file, seconds: maxSeconds, sampleRate: rate)
    let clock = ContinuousClock()
    return try withNoGrad {
      let t0 = clock.now
      let latents = try codec.encode(excerpt)
      let t1 = clock.now
      // codec.decode, in its steps: the decoded magnitude is reused for the Griffin-Lim column.
      let decodedSpectrogram = try codec.decodeSpectrogram(latents, seed: 0)
      let decoded = try codec.synthesize(magnitude: decodedSpectrogram.magnitude, phase: decodedSpectrogram.phase)
      let t2 = clock.now
      let reference = excerpt.narrow(dim: 1, start: 0, length: decoded.size(1))
      let seconds = Double(decoded.size(1)) / Double(rate)

      let magnitude = try codec.frontEnd.stft(reference).abs()
      let griffinLim = try GriffinLim(stft: codec.frontEnd.stft)(magnitude, generator: Generator(seed: 0))
      // The codec's magnitude in linear units (spectrum at zero phase, its absolute value).
      let codecMagnitude = codec.frontEnd.spectrum(magnitude: decodedSpectrogram.magnitude,
                                                   phase: decodedSpectrogram.magnitude * 0).abs()
      let codecGriffinLim = try GriffinLim(stft: codec.frontEnd.stft)(codecMagnitude, generator: Generator(seed: 0))
      let refined = try codec.synthesize(magnitude: decodedSpectrogram.magnitude, phase: decodedSpectrogram.phase,
                                         iterations: Self.refineIterations)
      let level1 = try codec.decodeAudio(frames: try codec.encodeFrames(reference), seed: 0)

      if let audioOutput {
        try FileManager.default.createDirectory(at: audioOutput, withIntermediateDirectories: true)
        let stem = name.replacingOccurrences(of: "/", with: "_")
        for (variant, audio) in [("input", reference), ("both-levels", decoded), ("level1", level1),
                                 ("codec-magnitude-gl", codecGriffinLim), ("refined", refined), ("true-magnitude-gl", griffinLim)] {
          try AudioFile.write(audio, sampleRate: rate, to: audioOutput.appendingPathComponent("\(stem).\(variant).wav"),
                              encoding: .float32, limiter: nil)
        }
      }
      let mel = MelFilterbank(sampleRate: rate)
      let stftDistance = MultiResolutionSTFTLoss()
      func logMelL1(_ a: Tensor, _ b: Tensor) -> Double { (mel.logMel(a) - mel.logMel(b)).abs().mean().item() }
      let seams = SeamMeter(codec: codec)
      let period = codec.config.framesPerVector * 4
      let seamRatio = (try? SeamMeter.boundaryFluxRatio(decoded, stft: codec.frontEnd.stft, period: period)) ?? .nan
      let independent = (try? seams.fluxRatio(latents, likeTheOriginal: true)) ?? .nan
      return Row(file: name, seconds: seconds,
                 logMelL1: logMelL1(decoded, reference), stftDistance: stftDistance(decoded, reference).item(),
                 referenceLogMelL1: logMelL1(griffinLim, reference),
                 referenceStftDistance: stftDistance(griffinLim, reference).item(),
                 codecMagnitudeGriffinLimLogMelL1: logMelL1(codecGriffinLim, reference.narrow(dim: 1, start: 0, length: codecGriffinLim.size(1))),
                 refinedLogMelL1: logMelL1(refined, reference.narrow(dim: 1, start: 0, length: refined.size(1))),
                 level1LogMelL1: logMelL1(level1, reference.narrow(dim: 1, start: 0, length: level1.size(1))),
                 encodeRealTime: seconds / max((t1 - t0).seconds, 1e-9),
                 decodeRealTime: seconds / max((t2 - t1).seconds, 1e-9),
                 seamRatio: seamRatio, independentWindowSeamRatio: independent)
    }
  }

  /// A plain-text table: one row per file, then the mean (weighted by duration).
  public static func table(_ rows: [Row], codecName: String) -> String {
    func f(_ x: Double, _ d: Int = 3) -> String { String(format: "%.\(d)f", x) }
    var lines = ["codec \(codecName): reconstruction (lower is better) and speed",
                 "file                              seconds  log-mel L1  MR-STFT   | GL-32 log-mel L1  GL-32 MR-STFT | codec mag + GL-32 | own phase + FGLA-4 | level 1 only | encode ×RT  decode ×RT | seam flux: ours  original-style"]
    func line(_ name: String, _ r: (Double, Double, Double, Double, Double, Double, Double), _ seams: (Double, Double),
              _ magnitudeOnly: Double, _ refined: Double, _ level1: Double) -> String {
      name.padding(toLength: 32, withPad: " ", startingAt: 0) + "  " + f(r.0, 1).leftPad(7) + "  "
        + f(r.1).leftPad(10) + "  " + f(r.2).leftPad(7) + "   | " + f(r.3).leftPad(16) + "  " + f(r.4).leftPad(13)
        + " | " + f(magnitudeOnly).leftPad(17) + " | " + f(refined).leftPad(18) + " | " + f(level1).leftPad(12) + " | " + f(r.5, 1).leftPad(10) + "  " + f(r.6, 1).leftPad(10) + " | " + f(seams.0, 3).leftPad(15)
        + "  " + f(seams.1, 3).leftPad(14)
    }
    for r in rows {
      lines.append(line(r.file, (r.seconds, r.logMelL1, r.stftDistance, r.referenceLogMelL1, r.referenceStftDistance,
                                 r.encodeRealTime, r.decodeRealTime), (r.seamRatio, r.independentWindowSeamRatio),
                        r.codecMagnitudeGriffinLimLogMelL1, r.refinedLogMelL1, r.level1LogMelL1))
    }
    let total = rows.reduce(0) { $0 + $1.seconds }
    func mean(_ k: KeyPath<Row, Double>) -> Double { rows.reduce(0) { $0 + $1[keyPath: k] * $1.seconds } / max(total, 1e-9) }
    lines.append(line("mean (\(rows.count) files)", (total, mean(\.logMelL1), mean(\.stftDistance), mean(\.referenceLogMelL1),
                                                    mean(\.referenceStftDistance), mean(\.encodeRealTime),
                                                    mean(\.decodeRealTime)),
                     (mean(\.seamRatio), mean(\.independentWindowSeamRatio)), mean(\.codecMagnitudeGriffinLimLogMelL1),
                     mean(\.refinedLogMelL1),
                     mean(\.level1LogMelL1)))
    return lines.joined(separator: "\n")
  }
}

extension String {
  func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
