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

  /// complex spectrum (channels, bins, frames) → windowed frames (channels, nFFT, frames), ready to add.
  func windowedFrames(_ spectrum: Tensor) -> Tensor {
    let frames = spectrum.irfft(n: stft.nFFT, dim: 1)
    let window = synthesisWindow(dtype: frames.dtype, device: frames.device)
    return frames * window.reshape(1, stft.nFFT, 1)
  }

  /// Adds frames (channels, nFFT, T) at hop·i, giving (channels, (T − 1)·hop + nFFT). Each frame is
  /// nFFT/hop blocks of hop samples; block k of frame t lands in output block t + k, so the sum is
  /// nFFT/hop shifted adds — a few memory passes, where a transposed convolution with an identity
  /// kernel would cost 2·nFFT² multiply-adds per frame.
  func overlapAdd(_ frames: Tensor) -> Tensor {
    let (channels, frameCount) = (frames.size(0), frames.size(2))
    let hop = stft.hop
    let blocks = stft.nFFT / hop
    let split = frames.reshape(channels, blocks, hop, frameCount)  // block k of every frame
    var sum: Tensor?
    for k in 0..<blocks {
      let shifted = split.select(dim: 1, index: k).pad([k, blocks - 1 - k])  // (channels, hop, T + blocks − 1)
      sum = sum.map { $0 + shifted } ?? shifted
    }
    return sum!.transposed(1, 2).reshape(channels, (frameCount + blocks - 1) * hop)
  }

  /// complex spectrum (channels, bins, frames) → signal (channels, (frames − 1)·hop + nFFT).
  public func callAsFunction(_ spectrum: Tensor) -> Tensor {
    overlapAdd(windowedFrames(spectrum))
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
    let hop = inverse.stft.hop
    var added = inverse(spectrum)  // (channels, (T − 1)·hop + nFFT)
    if let tail {
      let overlap = tail.size(-1)
      let head = added.narrow(dim: -1, start: 0, length: overlap) + tail
      added = Tensor.cat([head, added.narrow(dim: -1, start: overlap, length: added.size(-1) - overlap)], dim: -1)
    }
    let ready = spectrum.size(-1) * hop
    tail = added.narrow(dim: -1, start: ready, length: added.size(-1) - ready).contiguous()
    return added.narrow(dim: -1, start: 0, length: ready)
  }

  /// The last nFFT − hop samples, once no more frames will come.
  public mutating func finish() -> Tensor? {
    defer { tail = nil }
    return tail
  }
}
