import Foundation
import Torch

/// Spectral distance between waveforms at several STFT resolutions (Yamamoto et al. 2020):
/// spectral convergence ‖|X| − |X̂|‖/‖|X|‖ plus mean |log|X| − log|X̂||, averaged over resolutions.
/// Phase enters only through the magnitudes of the re-analysed waveform, which is how the decoder's
/// phase head learns consistent phase.
public struct MultiResolutionSTFTLoss: Sendable {
  public let resolutions: [(nFFT: Int, hop: Int)]

  public init(resolutions: [(nFFT: Int, hop: Int)] = [(256, 64), (512, 128), (1024, 256), (2048, 512)]) {
    self.resolutions = resolutions
  }

  /// prediction, target: (batch, samples) → scalar.
  public func callAsFunction(_ prediction: Tensor, _ target: Tensor) -> Tensor {
    var total: Tensor?
    for (nFFT, hop) in resolutions where target.size(-1) >= nFFT {
      let window = Tensor.hannWindow(nFFT, dtype: target.dtype, device: target.device)
      let p = (prediction.stft(nFFT: nFFT, hop: hop, window: window).abs().square() + 1e-7).sqrt()
      let t = (target.stft(nFFT: nFFT, hop: hop, window: window).abs().square() + 1e-7).sqrt()
      let convergence = (t - p).square().sum().sqrt() / t.square().sum().sqrt()
      let logMagnitude = (t.log() - p.log()).abs().mean()
      let term = convergence + logMagnitude
      total = total.map { $0 + term } ?? term
    }
    guard let total else { return (prediction - target).abs().mean() }
    return total / Double(resolutions.count)
  }
}
