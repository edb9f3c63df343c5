import Testing

@testable import Torch

@Suite("Convolution layers: Keras padding, transposed convs, caches")
struct ConvLayerTests {
  @Test func kerasSamePaddingAmounts() {
    // k3 s2 on an even length: TensorFlow pads (0, 1).
    #expect(ConvPadding.same.amounts(length: 64, kernel: 3, stride: 2, dilation: 1) == (0, 1))
    // k3 s2 on an odd length: (1, 1).
    #expect(ConvPadding.same.amounts(length: 7, kernel: 3, stride: 2, dilation: 1) == (1, 1))
    // k4 s1: (1, 2), more on the right.
    #expect(ConvPadding.same.amounts(length: 10, kernel: 4, stride: 1, dilation: 1) == (1, 2))
    #expect(ConvPadding.same.amounts(length: 10, kernel: 3, stride: 1, dilation: 1) == (1, 1))
    #expect(ConvPadding.valid.amounts(length: 10, kernel: 3, stride: 1, dilation: 1) == (0, 0))
  }

  @Test func samePaddingK3S2EvenLengthMatchesExplicitPadding() {
    let conv = Conv1d(3, 5, kernel: 3, .init(stride: 2, padding: .same))
    conv.initialize(seed: 1)
    let x = Tensor.randn([2, 3, 8], generator: Generator(seed: 2))
    let y = conv(x)
    #expect(y.shape == [2, 5, 4])
    let expected = x.pad([0, 1]).conv1d(conv.weight, bias: conv.bias, stride: 2)
    #expect(close(values(y), values(expected)))
  }

  @Test func samePaddingK4S1IsAsymmetric() {
    let conv = Conv1d(2, 3, kernel: 4, .init(padding: .same))
    conv.initialize(seed: 3)
    let x = Tensor.randn([1, 2, 9], generator: Generator(seed: 4))
    let y = conv(x)
    #expect(y.shape == [1, 3, 9])
    let expected = x.pad([1, 2]).conv1d(conv.weight, bias: conv.bias)
    #expect(close(values(y), values(expected)))
  }

  @Test func replicatedEdgesRepeatTheEndFrames() {
    let conv = Conv1d(2, 3, kernel: 4, .init(padding: .same, edges: .replicate))
    conv.initialize(seed: 3)
    let x = Tensor.randn([1, 2, 9], generator: Generator(seed: 4))
    let y = conv(x)
    #expect(y.shape == [1, 3, 9])
    // By hand: frame 0 once more on the left, frame 8 twice more on the right.
    let padded = Tensor.cat([x.narrow(dim: 2, start: 0, length: 1), x, x.narrow(dim: 2, start: 8, length: 1),
                             x.narrow(dim: 2, start: 8, length: 1)], dim: 2)
    #expect(close(values(y), values(padded.conv1d(conv.weight, bias: conv.bias))))
    // Inside, where no padding reaches, it is the zero-padded convolution.
    let zeros = Conv1d(2, 3, kernel: 4, .init(padding: .same))
    zeros.initialize(seed: 3)
    #expect(close(values(y.narrow(dim: 2, start: 1, length: 6)), values(zeros(x).narrow(dim: 2, start: 1, length: 6))))
    #expect(!close(values(y.narrow(dim: 2, start: 8, length: 1)), values(zeros(x).narrow(dim: 2, start: 8, length: 1))))
  }

  @Test func sameTransposedDoublesLength() {
    let up = ConvTranspose1d(4, 6, kernel: 4, .init(stride: 2, padding: .same))
    up.initialize(seed: 5)
    #expect(up(Tensor.randn([3, 4, 8], generator: Generator(seed: 6))).shape == [3, 6, 16])
    let odd = ConvTranspose1d(4, 6, kernel: 3, .init(stride: 2, padding: .same))
    odd.initialize(seed: 5)
    #expect(odd(Tensor.randn([1, 4, 5], generator: Generator(seed: 6))).shape == [1, 6, 10])
  }

  @Test(arguments: [(4, 2, 1, 0), (4, 2, 0, 0), (3, 2, 1, 1), (5, 3, 1, 2), (1, 1, 0, 0), (6, 4, 2, 1), (2, 3, 0, 2)])
  func transposedConvMatchesLoopReference(kernel: Int, stride: Int, padding: Int, outputPadding: Int) {
    let g = Generator(seed: UInt64(kernel * 100 + stride * 10 + padding))
    let x = Tensor.randn([2, 3, 5], generator: g, dtype: .float64)
    let w = Tensor.randn([3, 4, kernel], generator: g, dtype: .float64)
    let y = x.convTranspose1d(w, stride: stride, padding: padding, outputPadding: outputPadding)
    let (expected, shape) = naiveConvTranspose1d(values(x), x.shape, values(w), w.shape, stride: stride,
                                                 padding: padding, outputPadding: outputPadding)
    #expect(y.shape == shape)
    #expect(close(values(y), expected, tolerance: 1e-12))
  }

  @Test func transposedConvInBFloat16() {
    // libtorch 1.13 has no bf16 transposed conv on the CPU; ours goes through plain convolutions.
    let g = Generator(seed: 9)
    let x = Tensor.randn([2, 16, 8], generator: g)
    let w = Tensor.randn([16, 8, 4], generator: g)
    let reference = x.convTranspose1d(w, stride: 2, padding: 1)
    let half = x.to(dtype: .bfloat16).convTranspose1d(w.to(dtype: .bfloat16), stride: 2, padding: 1)
    #expect(half.dtype == .bfloat16)
    #expect(half.shape == [2, 8, 16])
    let error = (half.to(dtype: .float32) - reference).abs().amax().item()
    let scale = reference.abs().amax().item()
    #expect(error / scale < 0.02)
  }

  @Test func cachedTransposedWeightFollowsInPlaceUpdates() {
    let up = ConvTranspose1d(2, 2, kernel: 4, .init(stride: 2, padding: .same, bias: false))
    up.initialize(seed: 11)
    let x = Tensor.randn([1, 2, 4], generator: Generator(seed: 12))
    let first = withNoGrad { up(x) }
    // In-place change (as an optimiser step or a weight load does) must not reuse the old layout.
    up.weight.copy(from: up.weight * 2)
    let second = withNoGrad { up(x) }
    #expect(close(values(second), values(first).map { $0 * 2 }, tolerance: 1e-5))
    // Replacing the data (as a device or dtype move does) must not either.
    try? up.weight.setData(Tensor.zeros(up.weight.shape))
    #expect(withNoGrad { up(x) }.abs().sum().item() == 0)
  }

  @Test(arguments: [TransposedConvPadding.same, .valid, .explicit(1)], [(4, 2), (3, 2), (5, 3), (1, 1)])
  func packedTransposedConvGivesTheSameOutput(padding: TransposedConvPadding, geometry: (kernel: Int, stride: Int)) throws {
    guard padding != .same || geometry.kernel >= geometry.stride else { return }
    let up = ConvTranspose1d(6, 5, kernel: geometry.kernel, .init(stride: geometry.stride, padding: padding,
                                                                  outputPadding: padding == .same ? 0 : geometry.stride - 1))
    up.initialize(seed: 21)
    let x = Tensor.randn([2, 6, 7], generator: Generator(seed: 22))
    let before = withNoGrad { up(x) }
    try up.packForInference()
    #expect(up.holdsPhaseKernels)
    #expect(up.weight.shape == [geometry.stride * 5, 6, (geometry.kernel + geometry.stride - 1) / geometry.stride])
    let after = withNoGrad { up(x) }
    #expect(after.shape == before.shape)
    #expect(values(after) == values(before))
    up.setComputeDType(.bfloat16)  // mixed precision converts the packed kernels like any weight
    let half = withNoGrad { up(x) }
    #expect(close(values(half), values(before), tolerance: 0.05 * (values(before).map(Swift.abs).max() ?? 1)))
  }

  @Test func packedModuleRefusesToLoad() throws {
    let up = ConvTranspose1d(2, 3, kernel: 4, .init(stride: 2, padding: .same))
    up.initialize(seed: 1)
    let saved = up.stateDict()
    try up.packForInference()
    #expect(up.isPackedForInference && !up.isTraining)
    #expect(throws: TorchError.self) { try up.load(saved) }
  }

  @Test func heUniformBoundsAndZeroBias() {
    let conv = Conv1d(64, 128, kernel: 3, .init(initializer: .heUniform))
    conv.initialize(seed: 1)
    let limit = (6.0 / Double(64 * 3)).squareRoot()
    let w = values(conv.weight)
    #expect(w.allSatisfy { Swift.abs($0) <= limit })
    #expect(w.max()! > limit * 0.95)
    #expect(values(conv.bias!).allSatisfy { $0 == 0 })
    // Keras computes a transposed conv's fan-in from its *output* channels: 32·4.
    let up = ConvTranspose1d(16, 32, kernel: 4, .init(initializer: .heUniform))
    up.initialize(seed: 1)
    let upLimit = (6.0 / Double(32 * 4)).squareRoot()
    #expect(values(up.weight).allSatisfy { Swift.abs($0) <= upLimit })
    #expect(values(up.weight).max()! > upLimit * 0.95)
  }

  @Test func pytorchDefaultBounds() {
    let linear = Linear(100, 10)
    linear.initialize(seed: 2)
    let bound = 1 / 10.0
    #expect(values(linear.weight).allSatisfy { Swift.abs($0) <= bound })
    #expect(values(linear.bias!).allSatisfy { Swift.abs($0) <= bound })
    #expect(values(linear.bias!).contains { $0 != 0 })
  }

  @Test func conv2dLayer() {
    let conv = Conv2d(1, 4, kernel: (3, 5), .init(stride: (1, 2), padding: (1, 2)))
    conv.initialize(seed: 1)
    #expect(conv(Tensor.zeros([2, 1, 16, 20])).shape == [2, 4, 16, 10])
    #expect(conv.parameterCount == 4 * 15 + 4)
  }

  @Test func noiseInjectionIsSeededAndStartsSilent() {
    let noise = NoiseInjection()
    noise.initialize(seed: 1)
    let x = Tensor.ones([2, 3, 5])
    #expect(values(noise(x, noise: NoiseSource(seed: 1))) == values(x))  // strength starts at 0
    noise.strength.copy(from: Tensor([0.5] as [Float]))
    let a = noise(x, noise: NoiseSource(seed: 42))
    let b = noise(x, noise: NoiseSource(seed: 42))
    #expect(values(a) == values(b))
    // The same noise for every channel: shape (batch, 1, time).
    let d = values(a - x)
    #expect(d[0..<5] == d[5..<10] && d[5..<10] == d[10..<15])
    #expect(values(noise(x, noise: NoiseSource(seed: 43))) != values(a))
    // Successive draws of one source differ (a pass's layers get independent noise).
    let source = NoiseSource(seed: 42)
    let first = noise(x, noise: source)
    #expect(values(first) == values(a))
    #expect(values(noise(x, noise: source)) != values(a))
    #expect(source.draws == 2)
  }
}
