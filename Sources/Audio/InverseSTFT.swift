import Torch

/// Inverse of `STFT` by weighted overlap-add: each frame's inverse FFT times a synthesis window, added
/// at hop·i. The synthesis window is the analysis Hann divided by the overlap-summed squared Hann
/// (for hop = nFFT/4 that is Hann/1.5, the original's `inverse_stft_window_fn`), which reconstructs
/// perfectly wherever frames fully overlap: all but the first and last nFFT − hop samples.
public struct InverseSTFT: Sendable {
  public let stft: STFT
  /// The synthesis window (nFFT), built once.
  private let window64: Tensor
  private let window32: Tensor

  public init(stft: STFT = STFT()) {
    precondition(stft.nFFT % stft.hop == 0, "InverseSTFT: nFFT must be a multiple of hop")
    self.stft = stft
    let window = Tensor.hannWindow(stft.nFFT, periodic: true, dtype: .float64)
    let overlapped = window.square().reshape(stft.nFFT / stft.hop, stft.hop).sum(dims: [0])  // (hop)
    window64 = window / overlapped.repeated([stft.nFFT / stft.hop])
    window32 = window64.to(dtype: .float32)
  }

  /// (nFFT) synthesis window.
  public func synthesisWindow(dtype: DType = .float32, device: Device = .cpu) -> Tensor {
    dtype == .float32 && device == .cpu ? window32 : window64.to(dtype: dtype).to(device: device)
  }

  /// complex spectrum laid out (channels, frames, bins) → signal (channels, (frames − 1)·hop + nFFT).
  /// Frames-major is the layout the inverse FFT and the overlap-add read fastest (each frame's bins
  /// side by side): the inverse FFT along the bins' axis of (channels, bins, frames) costs 1.3× as
  /// much, the window and the overlap-add as padded copies 3× (a minute of stereo at 1024/256).
  public func signal(framesMajor spectrum: Tensor) -> Tensor {
    let frames = spectrum.irfft(n: stft.nFFT, dim: 2)  // (channels, frames, nFFT)
    return frames.overlapAdded(window: synthesisWindow(dtype: frames.dtype, device: frames.device), hop: stft.hop)
  }

  /// complex spectrum (channels, bins, frames) → signal (channels, (frames − 1)·hop + nFFT).
  public func callAsFunction(_ spectrum: Tensor) -> Tensor {
    signal(framesMajor: spectrum.transposed(1, 2).contiguous())
  }
}

/// The inverse STFT for audio that flows: frames arrive in chunks, finished samples leave at once,
/// and the overlapping tail (nFFT − hop samples) is carried to the next chunk. The samples equal the
/// one-shot `InverseSTFT` of all frames; memory stays constant however long the stream runs.
public struct OverlapAddISTFT: Sendable {
  public let inverse: InverseSTFT
  private var tail: Tensor?

  public init(stft: STFT = STFT()) {
    inverse = InverseSTFT(stft: stft)
  }

  /// Adds a chunk of frames (channels, bins, frames) and returns the samples no later frame can
  /// change: (channels, frames·hop).
  public mutating func push(_ spectrum: Tensor) -> Tensor {
    push(framesMajor: spectrum.transposed(1, 2).contiguous())
  }

  /// As `push`, for a spectrum laid out (channels, frames, bins).
  public mutating func push(framesMajor spectrum: Tensor) -> Tensor {
    let hop = inverse.stft.hop
    var added = inverse.signal(framesMajor: spectrum)  // (channels, (T − 1)·hop + nFFT)
    if let tail {
      let overlap = tail.size(-1)
      let head = added.narrow(dim: -1, start: 0, length: overlap) + tail
      added = Tensor.cat([head, added.narrow(dim: -1, start: overlap, length: added.size(-1) - overlap)], dim: -1)
    }
    let ready = spectrum.size(1) * hop
    tail = added.narrow(dim: -1, start: ready, length: added.size(-1) - ready).contiguous()
    return added.narrow(dim: -1, start: 0, length: ready)
  }

  /// The last nFFT − hop samples, once no more frames will come.
  public mutating func finish() -> Tensor? {
    defer { tail = nil }
    return tail
  }
}
