import Torch

/// The latent power at each position of a generator window against the window's interior: a
/// generator whose convolutions see zeros past a window's ends makes its first and last vectors
/// quiet (the nearest-upsampled techno-clock run at step 12 000: 0.40 at the last vector), which the
/// decoder turns into a level dip at every window boundary.
public enum WindowEdgePower {
  /// latents (channels, vectors), windows of `window` vectors from vector 0 (a partial last window is
  /// left out) → one ratio per position in the window: the mean power (over channels and windows) at
  /// that position over the mean power of the interior (`interior(window)`). Empty when the latents
  /// hold no whole window.
  public static func profile(_ latents: Tensor, window: Int) -> [Double] {
    guard window >= 8, let byPosition = withNoGrad({ powerByPosition(latents.to(dtype: .float64), window: window) }) else { return [] }
    let power = byPosition.toArray(of: Double.self)
    let inside = interior(window)
    let interior = power[inside].reduce(0, +) / Double(inside.count)
    guard interior > 0 else { return power.map { _ in 1 } }
    return power.map { $0 / interior }
  }

  /// Positions of a window that count as its interior, away from both ends: `window/8 ..< window − window/8`.
  static func interior(_ window: Int) -> Range<Int> { (window / 8)..<(window - window / 8) }

  /// latents (…, channels, vectors), windows of `window` vectors from vector 0 → the mean power at
  /// each position of a window (window), averaged over everything else; differentiable. nil when the
  /// latents hold no whole window.
  static func powerByPosition(_ latents: Tensor, window: Int) -> Tensor? {
    let time = latents.rank - 1
    let windows = latents.size(time) / window
    guard windows >= 1 else { return nil }
    let rows = latents.count / latents.size(time)
    return latents.narrow(dim: time, start: 0, length: windows * window).reshape(rows, windows, window)
      .square().mean(dims: [0, 1])
  }

  /// The latent power at windows' ends and inside them: latents (…, channels, vectors), windows of
  /// `window` vectors from vector 0 → (the mean power at each of the first and last `ends` positions,
  /// (2·ends); the mean power of the interior), differentiable. The trainer's edge term pushes their
  /// ratio to 1 (`GANTrainer.edgeTerm`); `profile` gives the same ratios for one stream. nil when the
  /// latents hold no whole window or the ends reach into the interior.
  public static func endPowers(_ latents: Tensor, window: Int, ends: Int) -> (ends: Tensor, interior: Tensor)? {
    let inside = interior(window)
    guard ends >= 1, inside.lowerBound >= ends, !inside.isEmpty,
          let power = powerByPosition(latents, window: window) else { return nil }
    return (Tensor.cat([power.narrow(dim: 0, start: 0, length: ends), power.narrow(dim: 0, start: window - ends, length: ends)], dim: 0),
            power.narrow(dim: 0, start: inside.lowerBound, length: inside.count).mean())
  }

  /// The squared latent steps around the seams and inside windows: latents (…, channels, vectors),
  /// windows of `window` vectors from vector 0 → (the mean squared step into each window's last
  /// vector, across the seam, and out of the next window's first vector, (3); the mean squared step
  /// between the interior's neighbours), differentiable. nil without a seam.
  public static func seamNeighbourSteps(_ latents: Tensor, window: Int) -> (around: Tensor, interior: Tensor)? {
    let time = latents.rank - 1
    let windows = latents.size(time) / window
    let inside = interior(window)
    guard windows >= 2, inside.lowerBound >= 2, inside.count >= 2 else { return nil }
    let length = windows * window
    // The step out of each vector by window and position: (windows, window); the last window's final
    // vector has no step out (a 0 that nothing below reads).
    let out = meanSquaredSteps(latents.narrow(dim: time, start: 0, length: length))
    let steps = Tensor.cat([out, Tensor.zeros([1], dtype: out.dtype, device: out.device)], dim: 0).reshape(windows, window)
    let seams = windows - 1
    let around = Tensor.cat([
      steps.narrow(dim: 0, start: 0, length: seams).narrow(dim: 1, start: window - 2, length: 2).mean(dims: [0]),  // into the last, across
      steps.narrow(dim: 0, start: 1, length: seams).narrow(dim: 1, start: 0, length: 1).mean(dims: [0]),  // out of the next's first
    ], dim: 0)
    return (around, steps.narrow(dim: 1, start: inside.lowerBound, length: inside.count - 1).mean())
  }

  /// The mean squared latent step across window seams (from the last vector of one window to the
  /// first of the next) and between neighbours inside windows. latents (…, channels, vectors), windows
  /// of `window` vectors from vector 0 → two scalars, differentiable (the trainer's seam term pushes
  /// the first down to the second); nil without a seam.
  public static func seamSteps(_ latents: Tensor, window: Int) -> (seam: Tensor, inside: Tensor)? {
    let vectors = latents.size(latents.rank - 1)
    let seams = (vectors - 1) / window
    guard window >= 2, seams >= 1 else { return nil }
    let steps = meanSquaredSteps(latents)  // (vectors − 1)
    // The seams are the steps out of each window's last vector, t = k·window − 1 for k = 1 … seams.
    let atSeams = steps.narrow(dim: 0, start: 0, length: seams * window).reshape(seams, window)
      .narrow(dim: 1, start: window - 1, length: 1).sum()
    return (atSeams / Double(seams), (steps.sum() - atSeams) / Double(vectors - 1 - seams))
  }

  /// latents (…, vectors) → the squared step from each vector to the next, averaged over everything
  /// but time: (vectors − 1), the step out of vector t at t; differentiable.
  static func meanSquaredSteps(_ latents: Tensor) -> Tensor {
    let vectors = latents.size(latents.rank - 1)
    let x = latents.reshape(latents.count / vectors, vectors)
    return (x.narrow(dim: 1, start: 1, length: vectors - 1) - x.narrow(dim: 1, start: 0, length: vectors - 1)).square().mean(dims: [0])
  }

  /// `seamSteps`' ratio for one stream: ≈ 1 when the windows join as smoothly as their interiors flow,
  /// above 1 when each seam is a jump (which the decoders play as a click or a swell at every boundary
  /// while the latent power at the ends stays level). latents (channels, vectors); nil without a seam.
  public static func seamStep(_ latents: Tensor, window: Int) -> Double? {
    withNoGrad {
      guard let steps = seamSteps(latents.to(dtype: .float64), window: window) else { return nil }
      let interior = steps.inside.item()
      return interior > 0 ? steps.seam.item() / interior : nil
    }
  }
}
