import Torch

/// The latent power at each position of a generator window against the window's interior: a
/// generator whose convolutions see zeros past a window's ends makes its first and last vectors
/// quiet (the nearest-upsampled techno-clock run at step 12 000: 0.40 at the last vector), which the
/// decoder turns into a level dip at every window boundary.
public enum WindowEdgePower {
  /// latents (channels, vectors), windows of `window` vectors from vector 0 (a partial last window is
  /// left out) → one ratio per position in the window: the mean power (over channels and windows) at
  /// that position over the mean power of positions `window/8 ..< window − window/8`. Empty when the
  /// latents hold no whole window.
  public static func profile(_ latents: Tensor, window: Int) -> [Double] {
    let windows = latents.size(1) / window
    guard windows >= 1, window >= 8 else { return [] }
    return withNoGrad {
      // (channels, windows, window) → power by position (window)
      let power = latents.narrow(dim: 1, start: 0, length: windows * window).to(dtype: .float64)
        .reshape(latents.size(0), windows, window).square().mean(dims: [0, 1]).toArray(of: Double.self)
      let margin = window / 8
      let interior = power[margin..<(window - margin)].reduce(0, +) / Double(window - 2 * margin)
      guard interior > 0 else { return power.map { _ in 1 } }
      return power.map { $0 / interior }
    }
  }

  /// The latent power of windows' end vectors over their interior's: latents (…, channels, vectors),
  /// windows of `window` vectors from vector 0 → (power at each of the first and last `ends` positions
  /// over the mean power of positions `window/8 ..< window − window/8`, (2·ends); that interior power),
  /// differentiable, powers averaged over everything but the position. The trainer's edge term pushes
  /// the ratios to 1 (`GANTrainer.edgeTerm`); `profile` is the same figure for one stream. nil when the
  /// latents hold no whole window or the window is too short for an interior beside its ends.
  public static func endPowers(_ latents: Tensor, window: Int, ends: Int) -> (ratios: Tensor, interior: Tensor)? {
    let time = latents.rank - 1
    let windows = latents.size(time) / window
    let margin = window / 8
    guard windows >= 1, ends >= 1, margin >= ends, window - 2 * margin >= 1 else { return nil }
    // (rows, windows, window) → mean power by position (window)
    let rows = latents.count / latents.size(time)
    let power = latents.narrow(dim: time, start: 0, length: windows * window).reshape(rows, windows, window)
      .square().mean(dims: [0, 1])
    let interior = power.narrow(dim: 0, start: margin, length: window - 2 * margin).mean()
    let edges = Tensor.cat([power.narrow(dim: 0, start: 0, length: ends), power.narrow(dim: 0, start: window - ends, length: ends)], dim: 0)
    return (edges / interior, interior)
  }

  /// The squared latent step around the seams against the steps inside windows: latents (…, channels,
  /// vectors), windows of `window` vectors from vector 0 → (the mean squared step into each window's
  /// last vector, across the seam, and out of the next window's first vector, each over the mean
  /// squared step between the interiors' neighbours (positions `window/8 ..< window − window/8`), (3);
  /// that interior step), differentiable. nil without a seam.
  public static func seamStepRatios(_ latents: Tensor, window: Int) -> (ratios: Tensor, interior: Tensor)? {
    let time = latents.rank - 1
    let windows = latents.size(time) / window
    let margin = window / 8
    guard windows >= 2, margin >= 2, window - 2 * margin >= 2 else { return nil }
    let rows = latents.count / latents.size(time)
    let length = windows * window
    let x = latents.narrow(dim: time, start: 0, length: length).reshape(rows, length)
    // Mean squared step out of each vector (t → t + 1), by window and position: (windows, window);
    // the last window's final vector has no step out (a 0 that nothing below reads).
    let steps = Tensor.cat([(x.narrow(dim: 1, start: 1, length: length - 1) - x.narrow(dim: 1, start: 0, length: length - 1))
      .square().mean(dims: [0]), Tensor.zeros([1], dtype: x.dtype, device: x.device)], dim: 0).reshape(windows, window)
    let interior = steps.narrow(dim: 1, start: margin, length: window - 2 * margin - 1).mean()
    let seams = windows - 1
    let around = Tensor.cat([
      steps.narrow(dim: 0, start: 0, length: seams).narrow(dim: 1, start: window - 2, length: 2).mean(dims: [0]),  // into the last, across
      steps.narrow(dim: 0, start: 1, length: seams).narrow(dim: 1, start: 0, length: 1).mean(dims: [0]),  // out of the next's first
    ], dim: 0)
    return (around / interior, interior)
  }

  /// The mean squared latent step across window seams (from the last vector of one window to the
  /// first of the next) and between neighbours inside windows. latents (…, channels, vectors), windows
  /// of `window` vectors from vector 0 → two scalars, differentiable (the trainer's seam term pushes
  /// the first down to the second); nil without a seam.
  public static func seamSteps(_ latents: Tensor, window: Int) -> (seam: Tensor, inside: Tensor)? {
    let time = latents.rank - 1
    let vectors = latents.size(time)
    let seams = (vectors - 1) / window  // steps t = k·window − 1 for k ≥ 1
    guard window >= 2, seams >= 1 else { return nil }
    // (…, vectors − 1): squared step from vector t to t + 1, summed over channels
    let steps = (latents.narrow(dim: time, start: 1, length: vectors - 1) - latents.narrow(dim: time, start: 0, length: vectors - 1))
      .square().sum(dims: [time - 1])
    let atSeam = Tensor((0..<(vectors - 1)).map { ($0 + 1) % window == 0 ? Float(1) : 0 })
      .to(dtype: steps.dtype).to(device: steps.device)
    let rows = Double(steps.count / (vectors - 1))
    return ((steps * atSeam).sum() / (rows * Double(seams)),
            (steps * (1 - atSeam)).sum() / (rows * Double(vectors - 1 - seams)))
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
