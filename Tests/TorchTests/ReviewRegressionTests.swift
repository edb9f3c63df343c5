import Testing

@testable import Torch

/// Cases found in review of the engine; each failed before its fix.
@Suite("Review regressions")
struct ReviewRegressionTests {
  @Test func transposedWeightCacheSeesEverySetData() {
    let up = ConvTranspose1d(3, 2, kernel: 4, .init(stride: 2, padding: .explicit(1), bias: false))
    let x = Tensor.randn([1, 3, 5], generator: Generator(seed: 1), dtype: .float64)
    let g = Generator(seed: 2)
    for _ in 0..<12 {
      // Fresh storage each time: the allocator may hand out an address seen before.
      try? up.weight.setData(Tensor.randn([3, 2, 4], generator: g, dtype: .float64))
      let y = withNoGrad { up(x) }
      let (expected, _) = naiveConvTranspose1d(values(x), x.shape, values(up.weight), up.weight.shape, stride: 2,
                                               padding: 1, outputPadding: 0)
      #expect(close(values(y), expected, tolerance: 1e-12))
    }
  }

  @Test func hugeShapesInSafetensorsThrow() {
    var data = [UInt8]()
    let header = #"{"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,8]}}"#
    var length = UInt64(header.utf8.count).littleEndian
    withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
    data.append(contentsOf: Array(header.utf8) + [UInt8](repeating: 0, count: 8))
    #expect { try Safetensors.decode(.init(data)) } throws: { "\($0)".contains("too large") }
  }

  @Test func fullReductionsKeepDimensionsWhenAsked() {
    let x = Tensor.ones([2, 3])
    #expect(x.sum(keepDim: true).shape == [1, 1])
    #expect(x.mean(keepDim: true).shape == [1, 1])
    #expect(x.prod(keepDim: true).shape == [1, 1])
    #expect(x.amax(keepDim: true).shape == [1, 1])
    #expect(x.sum().shape == [])
  }

  @Test func scalarOperandsPromoteLikePythonScalars() {
    let ints = Tensor([1, 2, 3] as [Int64])
    #expect(close(values(ints.atan2(Tensor(0.5, dtype: .float64))), [1.1071487, 1.3258177, 1.4056476], tolerance: 1e-6))
    #expect(close(values(ints.binary(.atan2, 0.5)), [1.1071487, 1.3258177, 1.4056476], tolerance: 1e-6))
    #expect(ints.binary(.logicalAnd, 0.5).toArray(of: Bool.self) == [true, true, true])
  }

  private final class Leaf: Module {
    @Parameter var w = Tensor.zeros([2]).requiringGrad()
    weak var parent: Module?
  }

  private final class Tree: Module {
    let shared = Leaf()
    lazy var alias: Leaf = shared
    let optionals: [Leaf?] = [Leaf(), nil, Leaf()]
    lazy var later = Leaf()

    override init() {
      super.init()
      shared.parent = self
      _ = alias
      _ = later
    }
  }

  @Test func reflectionHandlesSharingBackReferencesOptionalsAndLazyChildren() {
    let tree = Tree()
    let names = tree.namedParameters().map(\.0)
    #expect(names == ["shared.w", "optionals.0.w", "optionals.2.w", "later.w"])
    #expect(tree.parameterCount == 8)
  }

  @Test func adamCountsStepsPerParameter() throws {
    let a = Tensor([1.0] as [Double]).requiringGrad()
    let b = Tensor([1.0] as [Double]).requiringGrad()
    let adam = Adam(parameters: [("a", a), ("b", b)], learningRate: 0.1, beta1: 0.9)
    (a * 2).sum().backward()  // b has no gradient on the first step
    try adam.update()
    adam.zeroGrad()
    (a * 2 + b * 2).sum().backward()
    try adam.update()
    // b's first update is a full first Adam step: lr·g/(|g| + ε) = 0.1.
    #expect(close(values(b), [0.9], tolerance: 1e-6))
    let state = adam.stateDict()
    #expect(state["step.a"]!.itemInt() == 2 && state["step.b"]!.itemInt() == 1 && state["step"]!.itemInt() == 2)
  }
}
