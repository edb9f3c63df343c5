import Foundation
import Torch

/// Tempo in BPM from an onset-strength envelope, by autocorrelation.
///
/// 1. The envelope's autocorrelation, unbiased (each lag divided by the number of products), so that
///    a steady pulse scores the same at its period and at every multiple of it.
/// 2. Octave errors: among the autocorrelation's peaks between `slowest` and `fastest` BPM, the
///    shortest period whose peak reaches `harmonicShare` of the highest one is the beat — a pulse
///    is as self-similar at two beats as at one, but a pulse at half the tempo would have no
///    peak at the shorter period.
/// 3. Precision: the peak is interpolated (parabola through its neighbours), then the period is
///    fitted through the peaks near its multiples 1…4, so the error is far below one frame.
/// 4. Accents: if every other pulse is clearly weaker (`accentContrast`), the beat is two pulses.
/// 5. The result is folded by octaves into [`foldLow`, `foldHigh`): a pulse of eighth notes faster
///    than `foldHigh` BPM reads as its quarter notes.
public struct TempoEstimator: Sendable {
  /// The BPM range searched.
  public var slowest = 40.0
  public var fastest = 240.0
  /// Results at or above this are halved (and below `foldLow` doubled) until inside.
  public var foldLow = 55.0
  public var foldHigh = 200.0
  public var harmonicShare = 0.8
  /// Pulses whose every other one is on average weaker than this share of the stronger ones are
  /// counted as a beat of two pulses.
  public var accentContrast = 0.85

  public init() {}

  /// Tempo in BPM of `envelope` sampled at `framesPerSecond`; nil when it holds no periodicity
  /// (silence, or shorter than two beats at the slowest tempo).
  public func tempo(envelope: [Float], framesPerSecond fps: Double) -> Double? {
    let maxLag = Int((60 * fps / slowest).rounded(.up)) * 4 + 2
    guard envelope.count > 2 * Int(60 * fps / slowest) + 2 else { return nil }
    let acf = Self.autocorrelation(envelope, maxLag: min(maxLag, envelope.count - 1))
    let minLag = max(2, Int((60 * fps / fastest).rounded(.down)))
    let topLag = min(Int((60 * fps / slowest).rounded(.up)), acf.count - 2)
    guard minLag < topLag, acf[0] > 0 else { return nil }
    let peaks = (minLag...topLag).filter { acf[$0] > 0 && acf[$0] >= acf[$0 - 1] && acf[$0] > acf[$0 + 1] }
    guard let best = peaks.map({ acf[$0] }).max() else { return nil }
    guard let beat = peaks.first(where: { acf[$0] >= harmonicShare * best }) else { return nil }
    var period = Self.refinedPeak(acf, near: Double(beat), radius: 1)
    // Fit the period through its multiples: lag_k ≈ k·period, least squares through the origin.
    var (sumKL, sumKK) = (period, 1.0)
    for k in 2...4 {
      let expected = Double(k) * period
      guard expected + 2 < Double(acf.count) else { break }
      let lag = Self.refinedPeak(acf, near: expected, radius: max(1, Int((0.03 * expected).rounded(.up))))
      guard abs(lag - expected) <= 0.03 * expected + 1 else { continue }
      sumKL += Double(k) * lag
      sumKK += Double(k * k)
    }
    period = sumKL / sumKK
    // Strong–weak alternation (a kick on the beat, a softer hat between): the beat is two pulses.
    while 60 * fps / (2 * period) >= slowest,
          Self.alternation(envelope, period: period) < accentContrast {
      period *= 2
    }
    var bpm = 60 * fps / period
    while bpm >= foldHigh { bpm /= 2 }
    while bpm < foldLow { bpm *= 2 }
    return bpm
  }

  /// Mean strength of the weaker against the stronger of the two pulse trains that alternate at
  /// `period` frames: 1 for a steady pulse, lower when every other pulse is an accent.
  static func alternation(_ envelope: [Float], period: Double) -> Double {
    let beat = 2 * period
    let count = Int(Double(envelope.count) / beat) - 1
    guard count >= 2 else { return 1 }
    // Strength of the pulse train at phase φ: the envelope's peak near φ + k·beat, averaged over k.
    func train(_ phase: Double) -> Double {
      var sum = 0.0
      for k in 0..<count {
        let centre = Int((phase + Double(k) * beat).rounded())
        let lo = max(0, centre - 1), hi = min(envelope.count - 1, centre + 1)
        guard lo <= hi else { continue }
        sum += Double(envelope[lo...hi].max()!)
      }
      return sum / Double(count)
    }
    let trains = (0..<Int(beat.rounded(.up))).map { (phase: Double($0), strength: train(Double($0))) }
    guard let strongest = trains.max(by: { $0.strength < $1.strength }) else { return 1 }
    let (strong, weak) = (strongest.strength, train(strongest.phase + period))
    return strong > 0 ? weak / strong : 1
  }

  /// Unbiased autocorrelation of the mean-removed signal for lags 0…maxLag, through an FFT.
  public static func autocorrelation(_ x: [Float], maxLag: Int) -> [Double] {
    withNoGrad {
      let n = x.count
      let signal = Tensor(x.map(Double.init), shape: [n])
      let centred = signal - signal.mean()
      var size = 1
      while size < 2 * n { size *= 2 }
      let spectrum = centred.rfft(n: size)
      let power = spectrum.abs().square()
      let raw = power.irfft(n: size).narrow(dim: 0, start: 0, length: maxLag + 1).toArray(of: Double.self)
      return raw.enumerated().map { lag, value in value / Double(n - lag) }
    }
  }

  /// The highest point of `acf` within `radius` of `lag`, refined by a parabola through its neighbours.
  static func refinedPeak(_ acf: [Double], near lag: Double, radius: Int) -> Double {
    let centre = Int(lag.rounded())
    let lo = max(1, centre - radius), hi = min(acf.count - 2, centre + radius)
    guard lo <= hi else { return lag }
    let i = (lo...hi).max { acf[$0] < acf[$1] }!
    let (a, b, c) = (acf[i - 1], acf[i], acf[i + 1])
    let curvature = a - 2 * b + c
    guard curvature < 0 else { return Double(i) }
    return Double(i) + 0.5 * (a - c) / curvature
  }
}
