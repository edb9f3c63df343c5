import Foundation
import Testing

@testable import Torch

private final class Block: Module {
  let conv = Conv1d(4, 4, kernel: 3, .init(padding: .same))
  let noise = NoiseInjection()

  func callAsFunction(_ x: Tensor, noise source: NoiseSource) -> Tensor { noise(conv(x), noise: source).silu() }
}

private final class Decoder: Module {
  let stem = Linear(8, 16)
  let up: [ConvTranspose1d] = [
    ConvTranspose1d(4, 4, kernel: 4, .init(stride: 2, padding: .same)),
    ConvTranspose1d(4, 2, kernel: 4, .init(stride: 2, padding: .same, bias: false)),
  ]
  let block = Block()
  let head: Conv1d? = nil
  @Parameter(key: "gain_factor") var gain = Tensor.ones([1]).requiringGrad()
}

private final class Model: Module {
  let decoder = Decoder()
  let post = Sequential([Conv1d(2, 2, kernel: 1), Conv1d(2, 1, kernel: 1)])
}

@Suite("Modules: names, counts, modes, loading")
struct ModuleTests {
  @Test func parametersAreNamedByTheirPath() {
    let names = Model().namedParameters().map(\.0)
    #expect(names == [
      "decoder.gain_factor",
      "decoder.stem.weight", "decoder.stem.bias",
      "decoder.up.0.weight", "decoder.up.0.bias",
      "decoder.up.1.weight",
      "decoder.block.conv.weight", "decoder.block.conv.bias",
      "decoder.block.noise.strength",
      "post.0.weight", "post.0.bias", "post.1.weight", "post.1.bias",
    ])
  }

  @Test func parameterCounting() {
    let model = Model()
    // gain 1 + stem 8·16+16 + up0 4·4·4+4 + up1 4·2·4 + conv 4·4·3+4 + noise 1 + post 2·2+2 + 2+1
    #expect(model.parameterCount == 1 + 144 + 68 + 32 + 52 + 1 + 6 + 3)
    #expect(model.decoder.block.parameterCount == 53)
  }

  @Test func trainAndEvalPropagate() {
    let model = Model()
    #expect(model.namedModules().allSatisfy { $0.1.isTraining })
    model.eval()
    #expect(model.namedModules().allSatisfy { !$0.1.isTraining })
    model.train()
    #expect(model.decoder.up[1].isTraining)
  }

  @Test func initializationIsDeterministicPerPath() throws {
    let a = Model()
    let b = Model()
    a.initialize(seed: 10)
    b.initialize(seed: 10)
    for ((name, x), (_, y)) in zip(a.namedParameters(), b.namedParameters()) {
      #expect(try x.bytes() == y.bytes(), "\(name)")
    }
    // Layers of the same shape get different weights (derived from their paths).
    #expect(values(a.decoder.up[0].weight) != values(a.decoder.block.conv.weight.reshape(-1)).prefix(64).map { $0 })
    let c = Model()
    c.initialize(seed: 11)
    #expect(values(c.decoder.stem.weight) != values(a.decoder.stem.weight))
  }

  @Test func loadIsStrictAndNamesEveryProblem() throws {
    let source = Model()
    source.initialize(seed: 1)
    let target = Model()
    try target.load(source.stateDict())
    #expect(values(target.decoder.stem.weight) == values(source.decoder.stem.weight))

    var state = source.stateDict()
    state["decoder.stem.bias"] = nil
    state["decoder.extra"] = Tensor.zeros([1])
    state["post.0.weight"] = Tensor.zeros([3, 3, 3])
    #expect { try target.load(state) } throws: { error in
      let text = "\(error)"
      return text.contains("missing decoder.stem.bias") && text.contains("unexpected decoder.extra")
        && text.contains("post.0.weight has shape [3, 3, 3]")
    }
    state["post.0.weight"] = source.stateDict()["post.0.weight"]
    try target.load(state, strict: false)  // partial loads skip what is missing or extra
  }

  @Test func stateDictRoundTripsThroughSafetensors() throws {
    let model = Model()
    model.initialize(seed: 4)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try Safetensors.write(model.stateDict(), to: url)
    let copy = Model()
    try copy.load(Safetensors.read(url).tensors)
    let x = Tensor.randn([1, 4, 5], generator: Generator(seed: 1))
    #expect(values(model.decoder.block(x, noise: NoiseSource(seed: 3)))
            == values(copy.decoder.block(x, noise: NoiseSource(seed: 3))))
  }

  @Test func dtypeMovesKeepIdentity() throws {
    let model = Model()
    model.initialize(seed: 2)
    let weight = model.decoder.stem.weight
    try model.to(dtype: .bfloat16)
    #expect(weight.dtype == .bfloat16)
    #expect(model.decoder.stem.weight === weight)
    #expect(model.parameters.allSatisfy { $0.dtype == .bfloat16 })
    try model.to(dtype: .float32)
    #expect(weight.requiresGrad)
  }

  @Test func freezing() {
    let model = Model()
    model.setRequiresGrad(false)
    #expect(model.parameters.allSatisfy { !$0.requiresGrad })
  }

  /// `frozen` passes the gradient through to the input, computes none for the module's own weights, and
  /// gives every parameter its flag back (a parameter frozen before stays frozen).
  @Test func frozenPassesGradientsThroughAndRestoresFlags() {
    let conv = Conv1d(2, 3, kernel: 3, .init(padding: .same))
    conv.initialize(seed: 7)
    conv.bias!.requiresGrad = false
    let x = Tensor.randn([1, 2, 5], generator: Generator(seed: 1)).requiringGrad()
    let y = conv.frozen { conv(x) }
    y.square().sum().backward()
    #expect(conv.weight.grad == nil)
    #expect(conv.weight.requiresGrad && !conv.bias!.requiresGrad)
    // The input's gradient is the one an unfrozen module gives.
    let x2 = x.detach().requiringGrad()
    conv(x2).square().sum().backward()
    #expect(values(x.grad!) == values(x2.grad!))
    #expect(conv.weight.grad != nil)
  }
}
