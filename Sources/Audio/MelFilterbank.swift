import Foundation
import Torch

/// Triangular mel filters on the Slaney mel scale with area normalisation (librosa's defaults), for
/// the log-mel distance of codec evaluation and for pictures.
public struct MelFilterbank: Sendable {
  public let sampleRate: Int
  public let nFFT: Int
  public let bands: Int

  /// (bands, nFFT/2 + 1) float32 weights, built once.
  private let weights: Tensor

  public init(sampleRate: Int, nFFT: Int = 2048, bands: Int = 128) {
    self.sampleRate = sampleRate
    self.nFFT = nFFT
    self.bands = bands
    weights = Self.weights(sampleRate: sampleRate, nFFT: nFFT, bands: bands)
  }

  /// The centre frequency of each band in Hz, lowest first.
  public var centerFrequencies: [Double] {
    let top = Self.hzToMel(Double(sampleRate) / 2)
    return (1...bands).map { Self.melToHz(top * Double($0) / Double(bands + 1)) }
  }

  /// Hz → mel (Slaney: linear below 1 kHz, logarithmic above).
  public static func hzToMel(_ f: Double) -> Double {
    f < 1000 ? 3 * f / 200 : 15 + 27 * Foundation.log(f / 1000) / Foundation.log(6.4)
  }

  static func melToHz(_ m: Double) -> Double {
    m < 15 ? 200 * m / 3 : 1000 * Foundation.exp((m - 15) * Foundation.log(6.4) / 27)
  }

  /// (bands, nFFT/2 + 1) weights.
  public func matrix(dtype: DType = .float32) -> Tensor {
    dtype == .float32 ? weights : weights.to(dtype: dtype)
  }

  private static func weights(sampleRate: Int, nFFT: Int, bands: Int) -> Tensor {
    let bins = nFFT / 2 + 1
    let binHz = (0..<bins).map { Double($0) * Double(sampleRate) / Double(nFFT) }
    let top = hzToMel(Double(sampleRate) / 2)
    let edges = (0..<(bands + 2)).map { melToHz(top * Double($0) / Double(bands + 1)) }
    var weights = [Double](repeating: 0, count: bands * bins)
    for b in 0..<bands {
      let (lo, mid, hi) = (edges[b], edges[b + 1], edges[b + 2])
      let norm = 2 / (hi - lo)
      for k in 0..<bins {
        let f = binHz[k]
        let w = max(0, min((f - lo) / (mid - lo), (hi - f) / (hi - mid)))
        weights[b * bins + k] = w * norm
      }
    }
    return Tensor(weights.map(Float.init), shape: [bands, bins])
  }

  /// signal (channels, samples) → mel power (channels, bands, frames), frame i centred on sample hop·i.
  public func power(_ signal: Tensor, hop: Int) -> Tensor {
    let window = Tensor.hannWindow(nFFT, dtype: signal.dtype, device: signal.device)
    let power = signal.stft(nFFT: nFFT, hop: hop, window: window, center: true).abs().square()
    return matrix(dtype: signal.dtype).to(device: signal.device).matmul(power)
  }

  /// signal (channels, samples) → log10 mel power (channels, bands, frames), floored at 1e-5.
  public func logMel(_ signal: Tensor) -> Tensor {
    power(signal, hop: nFFT / 4).maximum(1e-5).log10()
  }
}
