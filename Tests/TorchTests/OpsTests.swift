import Testing

@testable import Torch

@Suite("Tensor ops on hand-computed inputs")
struct OpsTests {
  let a = Tensor([1, -2, 3, -4] as [Float], shape: [2, 2])
  let b = Tensor([0.5, 2, -1, 4] as [Float], shape: [2, 2])

  @Test func creationAndMetadata() {
    let t = Tensor([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3])
    #expect(t.shape == [2, 3])
    #expect(t.rank == 2)
    #expect(t.count == 6)
    #expect(t.dtype == .float32)
    #expect(t.device == .cpu)
    #expect(t.toArray(of: Float.self) == [1, 2, 3, 4, 5, 6])
    #expect(Tensor(2.5).item() == 2.5)
    #expect(Tensor.zeros([2, 2], dtype: .int64).toArray(of: Int64.self) == [0, 0, 0, 0])
    #expect(Tensor.full([3], value: 7, dtype: .float64).toArray(of: Double.self) == [7, 7, 7])
    #expect(Tensor.arange(0, 5).toArray(of: Float.self) == [0, 1, 2, 3, 4])
    #expect(Tensor.linspace(0, 1, steps: 5).toArray(of: Float.self) == [0, 0.25, 0.5, 0.75, 1])
    #expect(Tensor([true, false]).dtype == .bool)
  }

  @Test func dtypeConversions() {
    let t = Tensor([1.5, -2.25, 1000] as [Float])
    #expect(t.to(dtype: .float16).toArray(of: Float.self) == [1.5, -2.25, 1000])
    #expect(t.to(dtype: .bfloat16).toArray(of: Float.self) == [1.5, -2.25, 1000])
    #expect(t.to(dtype: .int64).toArray(of: Int64.self) == [1, -2, 1000])
    #expect(t.to(dtype: .bfloat16).dtype == .bfloat16)
    // bf16 keeps 8 significant bits: 1.00390625 (1 + 2⁻⁸) rounds to 1.
    #expect(Tensor([1.00390625] as [Float]).to(dtype: .bfloat16).toArray(of: Float.self) == [1])
  }

  @Test func elementwiseArithmetic() {
    #expect(values(a + b) == [1.5, 0, 2, 0])
    #expect(values(a - b) == [0.5, -4, 4, -8])
    #expect(values(a * b) == [0.5, -4, -3, -16])
    #expect(values(a / b) == [2, -1, -3, -1])
    #expect(values(a + 1) == [2, -1, 4, -3])
    #expect(values(10 - a) == [9, 12, 7, 14])
    #expect(values(2 / b) == [4, 1, -2, 0.5])
    #expect(values(-a) == [-1, 2, -3, 4])
    #expect(values(a.pow(2)) == [1, 4, 9, 16])
    #expect(values(a.maximum(b)) == [1, 2, 3, 4])
    #expect(values(a.minimum(0)) == [0, -2, 0, -4])
    #expect(values(a.abs()) == [1, 2, 3, 4])
    #expect(values(Tensor([4, 9] as [Float]).sqrt()) == [2, 3])
    #expect(close(values(Tensor([0, 1] as [Float]).exp()), [1, 2.718281828], tolerance: 1e-6))
    #expect(close(values(Tensor([1, 100] as [Float]).log()), [0, 4.605170186], tolerance: 1e-6))
    #expect(close(values(Tensor([100] as [Float]).log10()), [2]))
  }

  @Test func integralScalarsKeepIntegerTensorsInteger() {
    let i = Tensor([1, 2, 3] as [Int64])
    #expect((i + 1).dtype == .int64 && (i + 1).toArray(of: Int64.self) == [2, 3, 4])
    #expect((i * 2).dtype == .int64)
    #expect((i * 0.5).dtype == .float32 && values(i * 0.5) == [0.5, 1, 1.5])
    #expect((i / 2).dtype == .float32)  // true division, as in PyTorch
    #expect((Tensor([1.5] as [Float]) + 1).dtype == .float32)
  }

  @Test func comparisonsAndWhere() {
    #expect(a.gt(b).toArray(of: Bool.self) == [true, false, true, false])
    #expect(a.le(-2).toArray(of: Bool.self) == [false, true, false, true])
    #expect(a.eq(Tensor([1, 0, 3, 0] as [Float], shape: [2, 2])).toArray(of: Bool.self) == [true, false, true, false])
    #expect(a.ne(3).toArray(of: Bool.self) == [true, true, false, true])
    #expect(values(Tensor.where(a.gt(0), a, b)) == [1, 2, 3, 4])
  }

  @Test func activations() {
    let x = Tensor([-2, 0, 3] as [Double])
    #expect(close(values(x.silu()), [-2 / (1 + 7.389056099), 0, 3 / (1 + 0.049787068)]))
    #expect(values(x.leakyRelu(0.2)) == [-0.4, 0, 3])
    #expect(close(values(x.tanh()), [-0.964027580, 0, 0.995054754]))
    #expect(close(values(x.sigmoid()), [0.119202922, 0.5, 0.952574127]))
    #expect(values(x.relu()) == [0, 0, 3])
    #expect(values(x.clamp(min: -1, max: 1)) == [-1, 0, 1])
    #expect(values(x.clamp(max: 0)) == [-2, 0, 0])
  }

  /// The decoders' fused epilogue (one vectorised pass, its own exp) against libtorch's ops, over
  /// the range activations reach and beyond (where e^−v would overflow), in both dtypes it
  /// handles, and on a layout it leaves to libtorch (a non-contiguous view).
  @Test func fusedNoiseSiLUMatchesLibtorchInBothDecoderDTypes() throws {
    let generator = Generator(seed: 11)
    let x = Tensor.randn([2, 5, 300], generator: generator) * 30
    let noise = Tensor.randn([2, 1, 300], generator: generator)
    let strength = Tensor([0.7] as [Float], shape: [1])
    let expected = (x + strength * noise).silu()
    let y = x.clone()
    try withNoGrad { try y.tryAddScaledSiLUInPlace(strength: strength, noise: noise) }
    // float32: within 2e-6 relative of libtorch's, element by element (a wrong exp is 1e-4 off).
    let excess = ((y - expected).abs() - expected.abs() * 2e-6 - 1e-7).amax().item()
    #expect(excess <= 0, "float32: error over the bound by \(excess)")
    // bfloat16: within one bf16 step (2^−7 relative) of the float32 result, element by element.
    let xb = x.to(dtype: .bfloat16)
    let yb = xb.clone()
    try withNoGrad {
      try yb.tryAddScaledSiLUInPlace(strength: strength.to(dtype: .bfloat16), noise: noise.to(dtype: .bfloat16))
    }
    #expect(yb.dtype == .bfloat16)
    let reference = (xb.to(dtype: .float32) + strength.to(dtype: .bfloat16).to(dtype: .float32)
      * noise.to(dtype: .bfloat16).to(dtype: .float32)).silu()
    let bound = reference.abs() * (1.0 / 128) + 1e-30
    #expect(((yb.to(dtype: .float32) - reference).abs() - bound).amax().item() <= 0)
    // A strided view takes libtorch's path and gets the same values.
    let wide = Tensor.randn([2, 5, 600], generator: generator)
    let view = wide.narrow(dim: 2, start: 100, length: 300)
    let viewExpected = (view + strength * noise).silu()
    try withNoGrad { try view.tryAddScaledSiLUInPlace(strength: strength, noise: noise) }
    #expect(close(values(view), values(viewExpected), tolerance: 1e-6))
  }

  @Test func inPlaceInferenceOpsMatchTheirOutOfPlaceFormsAndRefuseGradMode() throws {
    let x = Tensor([1, -2, 3, -4, 0.5, 6] as [Float], shape: [1, 2, 3])
    let strength = Tensor([0.25] as [Float], shape: [1])
    let noise = Tensor([2, -1, 4] as [Float], shape: [1, 1, 3])
    let expected = (x + strength * noise).silu()
    let y = x.clone()
    try withNoGrad { try y.tryAddScaledSiLUInPlace(strength: strength, noise: noise) }
    #expect(close(values(y), values(expected), tolerance: 1e-6))
    let z = x.clone()
    try withNoGrad { try z.tryAddInPlace(noise) }
    #expect(z.toArray(of: Float.self) == (x + noise).toArray(of: Float.self))
    // With grad mode on, overwriting a tensor could corrupt a backward pass: refused, x untouched.
    #expect(TorchRuntime.isGradEnabled)
    #expect(throws: TorchError.self) { try x.tryAddInPlace(noise) }
    #expect(throws: TorchError.self) { try x.tryAddScaledSiLUInPlace(strength: strength, noise: noise) }
    #expect(x.toArray(of: Float.self) == [1, -2, 3, -4, 0.5, 6])
  }

  @Test func reductions() {
    let x = Tensor([1, 2, 3, 4, 5, 6] as [Double], shape: [2, 3])
    #expect(x.sum().item() == 21)
    #expect(values(x.sum(dims: [0])) == [5, 7, 9])
    #expect(values(x.mean(dims: [1])) == [2, 5])
    #expect(x.mean(dims: [1], keepDim: true).shape == [2, 1])
    #expect(values(x.amax(dims: [1])) == [3, 6])
    #expect(values(x.amin(dims: [0])) == [1, 2, 3])
    // Sample variance of (1, 2, 3) is 1; population variance is 2/3.
    #expect(values(x.variance(dims: [1])) == [1, 1])
    #expect(close(values(x.variance(dims: [1], correction: 0)), [2.0 / 3, 2.0 / 3]))
    #expect(close(values(x.std(dims: [1], correction: 0)), [0.816496581, 0.816496581]))
    #expect(x.argmax(dim: 1).toArray(of: Int64.self) == [2, 2])
  }

  @Test func shapes() {
    let x = Tensor((0..<6).map(Double.init), shape: [2, 3])
    #expect(values(Tensor.cat([x, x], dim: 0)) == [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5])
    #expect(Tensor.cat([x, x], dim: 1).shape == [2, 6])
    #expect(Tensor.stack([x, x], dim: 0).shape == [2, 2, 3])
    let parts = x.split(sizes: [1, 2], dim: 1)
    #expect(values(parts[0]) == [0, 3])
    #expect(values(parts[1]) == [1, 2, 4, 5])
    let chunks = x.chunk(2, dim: 0)
    #expect(chunks.count == 2 && values(chunks[1]) == [3, 4, 5])
    #expect(values(x.narrow(dim: 1, start: 1, length: 2)) == [1, 2, 4, 5])
    #expect(values(x.select(dim: 0, index: 1)) == [3, 4, 5])
    #expect(values(x.reshape(3, 2).transposed(0, 1)) == [0, 2, 4, 1, 3, 5])
    #expect(values(x.permute(1, 0).contiguous()) == [0, 3, 1, 4, 2, 5])
    #expect(values(Tensor([1, 2] as [Double], shape: [2, 1]).expand([2, 3])) == [1, 1, 1, 2, 2, 2])
    #expect(x.unsqueeze(0).shape == [1, 2, 3])
    #expect(x.unsqueeze(1).squeeze(1).shape == [2, 3])
    #expect(values(x.flip(dims: [1])) == [2, 1, 0, 5, 4, 3])
    #expect(values(x.repeated([1, 2])) == [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5])
    #expect(values(x.indexSelect(dim: 1, index: Tensor([2, 0] as [Int64]))) == [2, 0, 5, 3])
    #expect(x.reshape(1, 2, 3).flatten(from: 1).shape == [1, 6])
  }

  @Test func matrixProducts() {
    // [[1, -2], [3, -4]] · [[0.5, 2], [-1, 4]] = [[2.5, -6], [5.5, -10]]
    #expect(values(a.matmul(b)) == [2.5, -6, 5.5, -10])
    let w = Tensor([1, 0, 0, 1, 1, 1] as [Float], shape: [3, 2])
    #expect(values(a.linear(w, bias: Tensor([0, 0, 10] as [Float]))) == [1, -2, 9, 3, -4, 9])
  }

  @Test func conv1dByHand() {
    // x = [1, 2, 3, 4], w = [1, 0, -1]: valid correlation gives [1−3, 2−4] = [−2, −2]; +bias 0.5.
    let x = Tensor([1, 2, 3, 4] as [Double], shape: [1, 1, 4])
    let w = Tensor([1, 0, -1] as [Double], shape: [1, 1, 3])
    #expect(values(x.conv1d(w)) == [-2, -2])
    #expect(values(x.conv1d(w, bias: Tensor([0.5] as [Double]))) == [-1.5, -1.5])
    #expect(values(x.conv1d(w, padding: 1)) == [-2, -2, -2, 3])
    #expect(values(x.conv1d(w, stride: 2, padding: 1)) == [-2, -2])
    #expect(values(x.conv1d(Tensor([1, 1] as [Double], shape: [1, 1, 2]), dilation: 2)) == [4, 6])
    // Two groups: each channel convolved with its own kernel.
    let x2 = Tensor([1, 2, 3, 10, 20, 30] as [Double], shape: [1, 2, 3])
    let w2 = Tensor([1, 1, 1, -1] as [Double], shape: [2, 1, 2])
    #expect(values(x2.conv1d(w2, groups: 2)) == [3, 5, -10, -10])
  }

  @Test func conv2dByHand() {
    let x = Tensor((1...9).map(Double.init), shape: [1, 1, 3, 3])
    let w = Tensor([1, 1, 1, 1] as [Double], shape: [1, 1, 2, 2])
    // 2×2 box sums of [[1,2,3],[4,5,6],[7,8,9]]
    #expect(values(x.conv2d(w)) == [12, 16, 24, 28])
    #expect(x.conv2d(w, stride: (2, 2), padding: (1, 1)).shape == [1, 1, 2, 2])
    #expect(values(x.conv2d(w, stride: (2, 1))) == [12, 16])
  }

  @Test func convTranspose1dByHand() {
    // Stride 2, kernel [1, 2, 3]: x[0]=1 writes 1,2,3 at 0..2; x[1]=10 writes 10,20,30 at 2..4.
    let x = Tensor([1, 10] as [Double], shape: [1, 1, 2])
    let w = Tensor([1, 2, 3] as [Double], shape: [1, 1, 3])
    #expect(values(x.convTranspose1d(w, stride: 2)) == [1, 2, 13, 20, 30])
    #expect(values(x.convTranspose1d(w, stride: 2, padding: 1)) == [2, 13, 20])
    #expect(values(x.convTranspose1d(w, stride: 2, padding: 1, outputPadding: 1)) == [2, 13, 20, 30])
    #expect(values(x.convTranspose1d(w, bias: Tensor([1] as [Double]), stride: 2)) == [2, 3, 14, 21, 31])
  }

  @Test func padding() {
    let x = Tensor([1, 2, 3] as [Double], shape: [1, 1, 3])
    #expect(values(x.pad([0, 1])) == [1, 2, 3, 0])
    #expect(values(x.pad([2, 1], mode: .constant(-1))) == [-1, -1, 1, 2, 3, -1])
    #expect(values(x.pad([2, 1], mode: .reflect)) == [3, 2, 1, 2, 3, 2])
    #expect(values(x.pad([1, 2], mode: .replicate)) == [1, 1, 2, 3, 3, 3])
  }

  @Test func avgPool() {
    let x = Tensor([1, 3, 5, 7, 9, 11] as [Double], shape: [1, 1, 6])
    #expect(values(x.avgPool1d(kernel: 2)) == [2, 6, 10])
    #expect(values(x.avgPool1d(kernel: 3, stride: 3)) == [3, 9])
  }

  @Test func spectral() {
    // A sine at bin 4 of a 32-point rfft has all its energy there.
    let n = 32
    let sine = Tensor((0..<n).map { Foundation.sin(2 * Double.pi * 4 * Double($0) / Double(n)) })
    let magnitude = values(sine.rfft().abs())
    #expect(magnitude.count == 17)
    #expect(Swift.abs(magnitude[4] - 16) < 1e-9)
    #expect(magnitude.enumerated().filter { $0.offset != 4 }.allSatisfy { $0.element < 1e-9 })
    #expect(close(values(sine.rfft().irfft(n: n)), values(sine), tolerance: 1e-12))
    // Hann (periodic, 4): 0, 0.5, 1, 0.5
    #expect(close(values(Tensor.hannWindow(4, dtype: .float64)), [0, 0.5, 1, 0.5]))
    let z = Tensor.polar(magnitude: Tensor([2] as [Float]), phase: Tensor([Float.pi / 2]))
    #expect(close(values(z.real()), [0], tolerance: 1e-6) && close(values(z.imag()), [2]))
    #expect(close(values(z.angle()), [Double.pi / 2], tolerance: 1e-6))
    // The fast polar (no gradient: cos and sin into the two planes) and libtorch's own (taken when a
    // gradient is wanted) give the same spectrum.
    let generator = Generator(seed: 5)
    let radius = Tensor.uniform([2, 3, 7], generator: generator), angle = Tensor.uniform([2, 3, 7], low: -10, high: 10, generator: generator)
    let fast = withNoGrad { Tensor.polar(magnitude: radius, phase: angle) }
    let tracked = Tensor.polar(magnitude: radius.requiringGrad(), phase: angle)
    #expect(tracked.requiresGrad && !fast.requiresGrad && fast.shape == [2, 3, 7] && fast.dtype == .complex64)
    #expect(close(values(fast.real()), values(tracked.real().detach()), tolerance: 1e-6))
    #expect(close(values(fast.imag()), values(tracked.imag().detach()), tolerance: 1e-6))
  }

  @Test func overlapAdd() {
    // Frames of 4 samples at hop 2, window (1, 2, 3, 4): frame t adds its windowed samples at 2t.
    let frames = Tensor([1, 1, 1, 1, 10, 10, 10, 10, 100, 100, 100, 100] as [Double], shape: [1, 3, 4])
    let window = Tensor([1, 2, 3, 4] as [Double])
    let sum = frames.overlapAdded(window: window, hop: 2)
    #expect(sum.shape == [1, 8])
    let expected: [Double] = [1, 2, 13, 24, 130, 240, 300, 400]  // 3 + 10, 4 + 20, 30 + 100, 40 + 200 in the middle
    #expect(values(sum) == expected)
    // Channels stay apart; the gradient reaches the frames (training synthesises through it).
    let two = Tensor.randn([2, 5, 8], generator: Generator(seed: 6), dtype: .float64).requiringGrad()
    let added = two.overlapAdded(window: Tensor.ones([8], dtype: .float64), hop: 4)
    #expect(added.shape == [2, 24])
    added.sum().backward()
    #expect(values(two.grad!).allSatisfy { $0 == 1 })
  }

  @Test func stftRoundTrip() {
    let generator = Generator(seed: 3)
    let signal = Tensor.randn([2, 4096], generator: generator, dtype: .float64)
    let window = Tensor.hannWindow(1024, dtype: .float64)
    let spectrum = signal.stft(nFFT: 1024, hop: 256, window: window, center: true)
    #expect(spectrum.shape == [2, 513, 17])
    #expect(spectrum.dtype == .complex128)
    let back = spectrum.istft(nFFT: 1024, hop: 256, window: window, center: true, length: 4096)
    #expect(close(values(back), values(signal), tolerance: 1e-9))
  }
}

import Foundation
