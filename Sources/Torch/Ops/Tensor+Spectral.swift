import CTorch

/// Windows, short-time Fourier transforms, real FFTs and complex numbers.
extension Tensor {
  /// A Hann window; periodic (the STFT convention) unless `periodic` is false.
  public static func hannWindow(_ length: Int, periodic: Bool = true, dtype: DType = .float32,
                                device: Device = .cpu) -> Tensor {
    must {
      try make("hann_window") { ct_op_hann_window($0, Int64(length), periodic ? 1 : 0, dtype.rawValue, device.code) }
    }
  }

  /// Signal (batch, samples) or (samples) → complex (batch, nFFT/2+1, frames) when onesided.
  public func stft(nFFT: Int, hop: Int, winLength: Int? = nil, window: Tensor? = nil, center: Bool = false,
                   normalized: Bool = false, onesided: Bool = true) -> Tensor {
    must {
      try tryStft(nFFT: nFFT, hop: hop, winLength: winLength, window: window, center: center, normalized: normalized,
                  onesided: onesided)
    }
  }

  public func tryStft(nFFT: Int, hop: Int, winLength: Int? = nil, window: Tensor? = nil, center: Bool = false,
                      normalized: Bool = false, onesided: Bool = true) throws -> Tensor {
    try Tensor.make("stft") {
      ct_op_stft($0, handle, Int64(nFFT), Int64(hop), Int64(winLength ?? nFFT), window?.handle, center ? 1 : 0,
                 normalized ? 1 : 0, onesided ? 1 : 0)
    }
  }

  /// The inverse of `stft`; `length` trims or pads the result.
  public func istft(nFFT: Int, hop: Int, winLength: Int? = nil, window: Tensor? = nil, center: Bool = true,
                    normalized: Bool = false, onesided: Bool = true, length: Int? = nil) -> Tensor {
    must {
      try tryIstft(nFFT: nFFT, hop: hop, winLength: winLength, window: window, center: center, normalized: normalized,
                   onesided: onesided, length: length)
    }
  }

  public func tryIstft(nFFT: Int, hop: Int, winLength: Int? = nil, window: Tensor? = nil, center: Bool = true,
                       normalized: Bool = false, onesided: Bool = true, length: Int? = nil) throws -> Tensor {
    try Tensor.make("istft") {
      ct_op_istft($0, handle, Int64(nFFT), Int64(hop), Int64(winLength ?? nFFT), window?.handle, center ? 1 : 0,
                  normalized ? 1 : 0, onesided ? 1 : 0, Int64(length ?? -1))
    }
  }

  /// Real-input FFT along `dim` (n points; default: the size of `dim`).
  public func rfft(n: Int? = nil, dim: Int = -1) -> Tensor {
    must { try Tensor.make("rfft") { ct_op_rfft($0, handle, Int64(n ?? -1), Int64(dim)) } }
  }

  /// Inverse of `rfft`, giving `n` real points.
  public func irfft(n: Int? = nil, dim: Int = -1) -> Tensor {
    must { try Tensor.make("irfft") { ct_op_irfft($0, handle, Int64(n ?? -1), Int64(dim)) } }
  }

  /// magnitude · e^{i·phase}.
  public static func polar(magnitude: Tensor, phase: Tensor) -> Tensor {
    must { try make("polar") { ct_op_polar($0, magnitude.handle, phase.handle) } }
  }

  /// Fast Griffin-Lim in the frames-major layout: from `spectrum` (channels, frames, bins, complex64) with
  /// `magnitude` (same shape, float32) imposed, `iterations` rounds of inverse STFT (irfft, overlap-add
  /// with `synthesisWindow`), STFT (frames at `hop` times `analysisWindow`, rfft) and a step past the
  /// projection by `momentum`; returns the last estimate with the magnitude imposed (complex64, same shape).
  public static func fastGriffinLim(magnitude: Tensor, spectrum: Tensor, analysisWindow: Tensor, synthesisWindow: Tensor,
                                    hop: Int, iterations: Int, momentum: Double) throws -> Tensor {
    try make("fast_griffin_lim") {
      ct_op_fast_griffin_lim($0, magnitude.handle, spectrum.handle, analysisWindow.handle, synthesisWindow.handle,
                             Int64(hop), Int64(iterations), momentum)
    }
  }

  /// Weighted overlap-add of frames (channels, frames, n) laid side by side at `hop`: each frame times
  /// `window` (n), frame t starting at sample hop·t → (channels, (frames − 1)·hop + n). n must be a
  /// multiple of hop. Differentiable.
  public func overlapAdded(window: Tensor, hop: Int) -> Tensor {
    must { try Tensor.make("overlap_add") { ct_op_overlap_add($0, handle, window.handle, Int64(hop)) } }
  }
}
