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
/// jump away, `--boundary-weight`, left that pulse as it was: the jump is real but not its cause. The
/// cause was the per-vector density labels it trained on, see `GANTrainingOptions.conditionsPerCrop`.)
public enum VectorBoundaryJump {
  /// frames (…, channels, frames), `framesPerVector` per latent vector, the first frame at a vector's
  /// start → the ratio. The first and last vector are left out (no neighbour on one side).
  public static func ratio(frames: Tensor, framesPerVector: Int) throws -> Double {
    let count = frames.size(frames.rank - 1)
    guard framesPerVector >= 2, count >= 4 * framesPerVector else {
      throw MusikaError.invalidInput("need at least 4 latent vectors of frames (\(4 * framesPerVector)), got \(count)")
    }
    return jump(changeByPosition(frames, framesPerVector: framesPerVector)).item()
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

  /// frames (…, channels, vectors·framesPerVector) → (framesPerVector): the mean |Δ| into each position
  /// of a vector (0: its first frame), over all but the last dimension and the interior vectors.
  /// Differentiable (the training term uses it).
  static func changeByPosition(_ frames: Tensor, framesPerVector: Int) -> Tensor {
    let last = frames.rank - 1
    let count = frames.size(last)
    let intoFrame = (frames.narrow(dim: last, start: 1, length: count - 1) - frames.narrow(dim: last, start: 0, length: count - 1))
      .abs().reshape(-1, count - 1).mean(dims: [0])  // (count − 1): entry i is the change into frame i + 1
    return byPosition(intoFrame.narrow(dim: 0, start: framesPerVector - 1, length: (count / framesPerVector - 2) * framesPerVector),
                      framesPerVector: framesPerVector)
  }

  /// frames as above → (framesPerVector): the mean energy at each position of a vector over the
  /// interior vectors, over its average (1 everywhere for real music, within ±3 %).
  static func energyByPosition(_ frames: Tensor, framesPerVector: Int) -> Tensor {
    let last = frames.rank - 1
    let count = frames.size(last)
    let perFrame = frames.square().reshape(-1, count).mean(dims: [0])  // (count)
    let energy = byPosition(perFrame.narrow(dim: 0, start: framesPerVector, length: (count / framesPerVector - 2) * framesPerVector),
                            framesPerVector: framesPerVector)
    return energy / energy.mean()
  }

  /// The change into a vector's first frame over the mean change into its others; `holdingElsewhere`
  /// detaches the latter, so that a gradient can only lower the jump, not add jitter inside vectors.
  static func jump(_ changeByPosition: Tensor, holdingElsewhere: Bool = false) -> Tensor {
    let positions = changeByPosition.size(0)
    let elsewhere = changeByPosition.narrow(dim: 0, start: 1, length: positions - 1).mean()
    return changeByPosition.narrow(dim: 0, start: 0, length: 1).squeeze(0) / (holdingElsewhere ? elsewhere.detach() : elsewhere)
  }

  /// (vectors·framesPerVector) values, the first at a vector's start → their mean per position.
  private static func byPosition(_ values: Tensor, framesPerVector: Int) -> Tensor {
    values.reshape(-1, framesPerVector).mean(dims: [0])
  }
}
