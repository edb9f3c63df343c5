import Foundation
import Torch

/// How much DEC2's output jumps where one latent vector's level-1 frames meet the next's, against the
/// frame-to-frame change elsewhere: the mean |Δ| (over channels) into the first frame of each vector
/// over the mean |Δ| into every other frame. 1 when vector boundaries do not show.
///
/// Why: the piano GAN on the 22 kHz codec made one onset per latent vector (`VectorPulse` 0.48) while
/// its latents were no jitterier than real ones. Decoded by DEC2, real piano latents measured
/// 1.03–1.05, the bundled piano model's 1.05–1.09, and that run's 1.15–1.35 (20 000–30 000 steps):
/// consecutive generated vectors leave the manifold of real neighbours in a way DEC2 renders as a
/// discontinuity at every vector, which the critic, seeing latents only, does not punish. (Training the
/// jump away, `--boundary-weight`, left that pulse as it was: the jump is real but not its cause.)
public enum VectorBoundaryJump {
  /// frames (…, channels, frames), `framesPerVector` frames per latent vector, the first frame at a
  /// vector's start → the ratio. The first and last vector are left out (no neighbour on one side).
  public static func ratio(frames: Tensor, framesPerVector: Int) throws -> Double {
    let count = frames.size(frames.rank - 1)
    guard framesPerVector >= 2, count >= 4 * framesPerVector else {
      throw MusikaError.invalidInput("need at least 4 latent vectors of frames (\(4 * framesPerVector)), got \(count)")
    }
    let last = frames.rank - 1
    let change = (frames.narrow(dim: last, start: 1, length: count - 1) - frames.narrow(dim: last, start: 0, length: count - 1))
      .abs().to(dtype: .float64)
    let perStep = change.reshape(-1, count - 1).mean(dims: [0]).toArray(of: Double.self)  // step i: frame i → i + 1
    var boundary = (sum: 0.0, n: 0.0), inside = (sum: 0.0, n: 0.0)
    for (i, value) in perStep.enumerated() where i + 1 >= framesPerVector && i + 1 < count - framesPerVector {
      if (i + 1) % framesPerVector == 0 { boundary = (boundary.sum + value, boundary.n + 1) } else { inside = (inside.sum + value, inside.n + 1) }
    }
    let elsewhere = inside.sum / inside.n
    return elsewhere > 0 ? (boundary.sum / boundary.n) / elsewhere : 1
  }

  /// latents (2·vectorChannels, vectors) through `codec`'s DEC2 (in spans, as generation decodes) → the ratio.
  public static func ratio(latents: Tensor, codec: SpectralCodec, noiseSeed: UInt64 = 1) throws -> Double {
    let vectors = latents.size(1)
    let decoder = StreamingDecoder(codec: codec)
    let frames = try decoder.frames(0..<vectors, available: vectors,
                                    latents: { latents.narrow(dim: 1, start: $0.lowerBound, length: $0.count) },
                                    noiseSeed: noiseSeed)  // (2, latentChannels, vectors·framesPerVector)
    return try ratio(frames: frames, framesPerVector: codec.config.framesPerVector)
  }
}
