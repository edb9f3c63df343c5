import Audio
import Foundation
import Torch

/// Measures decoder-window seams (the original's "pulsing ~300 ms"): the spectral flux of decoded
/// audio at decoder-window boundaries divided by the flux everywhere else. 1 means the boundaries
/// are indistinguishable; above 1, something changes there. Flux is the mean absolute frame-to-frame
/// change of log energy in 32 equal-width bands: coarse enough that the bin-to-bin randomness of
/// noisy music averages out, fine enough to see a change of spectral envelope.
public struct SeamMeter {
  public let codec: SpectralCodec

  public init(codec: SpectralCodec) {
    self.codec = codec
  }

  /// Flux ratio of `latents` (2·vectorChannels, vectors) decoded our way (`SpectralCodec.decode`) or,
  /// with `likeTheOriginal`, in the original's independent windows.
  public func fluxRatio(_ latents: Tensor, likeTheOriginal: Bool = false, seed: UInt64 = 0) throws -> Double {
    let audio = likeTheOriginal ? try codec.decodeLikeTheOriginal(latents, seed: seed) : try codec.decode(latents, seed: seed)
    return try Self.boundaryFluxRatio(audio, stft: codec.frontEnd.stft, period: codec.config.framesPerVector * 4)
  }

  /// audio (channels, samples); boundaries every `period` frames (64 = 16 384 samples).
  static func boundaryFluxRatio(_ audio: Tensor, stft: STFT, period: Int) throws -> Double {
    let power = try stft(audio).abs().square()  // (channels, bins, frames)
    let (channels, bins, frames) = (power.size(0), power.size(1), power.size(2))
    let bands = 32
    let perBand = (bins - 1) / bands
    let energy = (power.narrow(dim: 1, start: 1, length: bands * perBand).reshape(channels, bands, perBand, frames)
      .mean(dims: [2]) + 1e-10).log()  // (channels, bands, frames)
    // Mean |Δ log band energy| from frame t−1 to t: (frames − 1).
    let rise = (energy.narrow(dim: 2, start: 1, length: frames - 1)
      - energy.narrow(dim: 2, start: 0, length: frames - 1)).abs().mean(dims: [0, 1]).toArray(of: Double.self)
    // A boundary at sample period·hop·k lies inside frames period·k − 3 … period·k (window 4 hops).
    let span = stft.nFFT / stft.hop
    var near: [Double] = []
    var far: [Double] = []
    for (i, value) in rise.enumerated() {
      let t = i + 1
      let offset = ((t % period) + period) % period
      let distance = min(offset, period - offset)
      if t < period || t > frames - period { continue }  // skip the ends of the piece
      if distance <= span { near.append(value) } else if distance > 2 * span { far.append(value) }
    }
    guard !near.isEmpty, !far.isEmpty else {
      throw MusikaError.invalidInput("too short to measure seams: need at least \(3 * period) frames")
    }
    return (near.reduce(0, +) / Double(near.count)) / (far.reduce(0, +) / Double(far.count))
  }
}
