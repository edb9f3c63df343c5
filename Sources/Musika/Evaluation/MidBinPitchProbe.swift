import Foundation
import Torch

/// Does a codec keep pitch? Eight plucked tones (four harmonics, decaying), each placed exactly
/// between two STFT bins — the hardest case — go through the codec; for each, the strongest frequency
/// within ±1.5 semitones of the tone is measured on the output. A codec whose phase head advances
/// each bin at its centre rate returns these tones up to half a bin off (a semitone near 300 Hz at
/// 22.05 kHz), which the log-mel L1 cannot see: a mel band there is wider than a bin.
public struct MidBinPitchProbe: Sendable {
  public struct Result: Sendable {
    /// The tones' frequencies (Hz), and for each the pitch error in cents and how far its peak
    /// stands over the output's median level around it (dB).
    public var frequencies: [Double]
    public var cents: [Double]
    public var prominences: [Double]
    /// Output level against input level over the whole probe (dB).
    public var levelChange: Double

    public var meanAbsoluteCents: Double { cents.map(abs).reduce(0, +) / Double(max(1, cents.count)) }
    public var tonesInTune: Int { cents.filter { abs($0) <= 50 }.count }

    /// "mean |error| 74 cents, 0/8 within 50 cents (+89 −84 …), level −8.6 dB"
    public var summary: String {
      String(format: "mean |error| %.0f cents, %d/%d within 50 cents (", meanAbsoluteCents, tonesInTune, cents.count)
        + cents.map { String(format: "%+.0f", $0) }.joined(separator: " ")
        + String(format: "), level %+.1f dB", levelChange)
    }
  }

  public let sampleRate: Int
  public let frequencies: [Double]
  /// The probe signal, mono: one tone every half second.
  public let signal: [Float]

  /// Tones from the first bin at or above 200 Hz, eight consecutive bins up.
  public init(sampleRate: Int, nFFT: Int) {
    self.sampleRate = sampleRate
    let binWidth = Double(sampleRate) / Double(nFFT)
    let first = Int(200 / binWidth)
    frequencies = (first..<(first + 8)).map { (Double($0) + 0.5) * binWidth }
    var notes = [Float](repeating: 0, count: sampleRate * 9 / 2)
    for (index, frequency) in frequencies.enumerated() {
      for i in 0..<(sampleRate / 2) {
        let t = Double(i) / Double(sampleRate)
        let tone = (1...4).reduce(0.0) { $0 + Foundation.sin(2 * .pi * frequency * Double($1) * t) / Double($1) }
        notes[index * sampleRate / 2 + i] = Float(0.3 * Foundation.exp(-2 * t) * tone)
      }
    }
    signal = notes
  }

  public init(codec: SpectralCodec) {
    self.init(sampleRate: codec.config.sampleRate, nFFT: codec.config.nFFT)
  }

  /// The probe through both levels of `codec` (or level 1 alone, ENC → DEC), measured.
  public func measure(_ codec: SpectralCodec, level1Only: Bool = false, seed: UInt64 = 0) throws -> Result {
    let audio = Tensor(signal + signal, shape: [2, signal.count])  // (2, samples)
    let decoded = try withNoGrad {
      level1Only ? try codec.decodeAudio(frames: try codec.encodeFrames(audio), seed: seed)
        : try codec.decode(try codec.encode(audio), seed: seed)
    }
    return measure(output: decoded.narrow(dim: 0, start: 0, length: 1).contiguous().toArray(of: Float.self))
  }

  /// Measures an output of the probe signal (mono samples at `sampleRate`, aligned with `signal`).
  public func measure(output: [Float]) -> Result {
    let rate = sampleRate
    var cents: [Double] = []
    var prominences: [Double] = []
    for (index, f0) in frequencies.enumerated() {
      let start = index * rate / 2 + rate / 40, end = min(output.count, (index + 1) * rate / 2 - rate / 40)
      guard end - start > rate / 10 else { cents.append(.nan); prominences.append(.nan); continue }
      let segment = Array(output[start..<end])
      let peak = Spectrum.strongest(in: segment, rate: rate, around: f0, semitones: 1.5)
      let floor = Spectrum.medianLevel(in: segment, rate: rate, from: f0 / 2, to: f0 * 2.5)
      cents.append(1200 * log2(peak.frequency / f0))
      prominences.append(20 * log10(peak.level / max(floor, 1e-12)))
    }
    let levelChange = 20 * log10(max(Spectrum.rms(output), 1e-12) / Spectrum.rms(Array(signal.prefix(output.count))))
    return Result(frequencies: frequencies, cents: cents, prominences: prominences, levelChange: levelChange)
  }
}

/// DFT magnitudes of a Hann-windowed segment at chosen frequencies (the probes' measuring tool).
public enum Spectrum {
  public static func level(of x: [Float], rate: Int, at frequency: Double) -> Double {
    let n = x.count
    let step = 2 * Double.pi * frequency / Double(rate)
    var re = 0.0, im = 0.0
    for i in 0..<n {
      let w = 0.5 - 0.5 * Foundation.cos(2 * Double.pi * Double(i) / Double(n - 1))
      let v = Double(x[i]) * w
      re += v * Foundation.cos(step * Double(i))
      im -= v * Foundation.sin(step * Double(i))
    }
    return (re * re + im * im).squareRoot()
  }

  /// The strongest frequency within ±`semitones` of `center`, on a 2-cent grid.
  public static func strongest(in x: [Float], rate: Int, around center: Double, semitones: Double) -> (frequency: Double, level: Double) {
    var best = (frequency: center, level: -1.0)
    for cents in stride(from: -semitones * 100, through: semitones * 100, by: 2) {
      let f = center * pow(2, cents / 1200)
      let l = level(of: x, rate: rate, at: f)
      if l > best.level { best = (f, l) }
    }
    return best
  }

  /// The median level over 120 log-spaced frequencies between `low` and `high`.
  public static func medianLevel(in x: [Float], rate: Int, from low: Double, to high: Double) -> Double {
    let levels = (0..<120).map { level(of: x, rate: rate, at: low * pow(high / low, Double($0) / 119)) }.sorted()
    return levels[levels.count / 2]
  }

  public static func rms(_ x: [Float]) -> Double {
    (x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, x.count))).squareRoot()
  }
}
