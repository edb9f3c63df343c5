import Testing

@testable import Torch

/// A small convolutional network in float64: conv (same) → swish → transposed conv → leaky ReLU → sum of squares.
private final class TinyNet: Module {
  let conv = Conv1d(2, 3, kernel: 3, .init(stride: 2, padding: .same))
  let up = ConvTranspose1d(3, 2, kernel: 4, .init(stride: 2, padding: .same))
  let noise = NoiseInjection()

  func callAsFunction(_ x: Tensor, noise source: NoiseSource) -> Tensor {
    up(noise(conv(x).silu(), noise: source)).leakyRelu(0.2)
  }
}

@Suite("Autograd against finite differences")
struct AutogradTests {
  private func makeNet() throws -> TinyNet {
    let net = TinyNet()
    net.initialize(seed: 7)
    net.noise.strength.copy(from: Tensor([0.3] as [Float]))
    try net.to(dtype: .float64)
    return net
  }

  @Test func convNetParameterAndInputGradients() throws {
    let net = try makeNet()
    let x = Tensor.randn([2, 2, 6], generator: Generator(seed: 8), dtype: .float64).requiringGrad()
    func loss(_ input: Tensor) -> Tensor {
      net(input, noise: NoiseSource(seed: 99)).square().sum()  // the same noise on every evaluation
    }
    let out = loss(x)
    out.backward()
    let numericX = finiteDifference(x) { loss($0).item() }
    #expect(close(values(x.grad!), numericX, tolerance: 1e-6))

    let weight = net.up.weight
    let analytic = values(weight.grad!)
    let saved = weight.detach().clone()
    let numericW = finiteDifference(saved) { candidate in
      weight.copy(from: candidate)
      return withNoGrad { loss(x.detach()).item() }
    }
    weight.copy(from: saved)
    #expect(close(analytic, numericW, tolerance: 1e-6))
  }

  @Test func r1GradientPenaltyDoubleBackward() throws {
    // R1 = Σ (∂ΣD(a)/∂a)², then its gradient with respect to D's weights (needs create_graph).
    let critic = Conv1d(2, 1, kernel: 3, .init(padding: .same))
    critic.initialize(seed: 3)
    try critic.to(dtype: .float64)
    let a = Tensor.randn([2, 2, 5], generator: Generator(seed: 4), dtype: .float64)

    func penalty() throws -> Tensor {
      let input = a.detach().requiringGrad()
      let score = critic(input).tanh().sum()
      let g = try grad(of: score, wrt: [input], createGraph: true)[0]
      return g.square().sum()
    }
    let r1 = try penalty()
    let weightGrad = try grad(of: r1, wrt: [critic.weight])[0]
    #expect(weightGrad.shape == critic.weight.shape)

    let saved = critic.weight.detach().clone()
    let numeric = finiteDifference(saved, epsilon: 1e-5) { candidate in
      critic.weight.copy(from: candidate)
      return (try? penalty().item()) ?? .nan
    }
    critic.weight.copy(from: saved)
    #expect(close(values(weightGrad), numeric, tolerance: 1e-5))
  }

  @Test func gradientsDoNotFlowInNoGradScope() {
    let w = Tensor([1, 2] as [Float]).requiringGrad()
    let y = withNoGrad { (w * 3).sum() }
    #expect(!y.requiresGrad)
    #expect(TorchRuntime.isGradEnabled)
    let z = (w * 3).sum()
    #expect(z.requiresGrad)
    z.backward()
    #expect(values(w.grad!) == [3, 3])
    w.zeroGrad()
    #expect(w.grad == nil)
  }

  @Test func unusedInputsAreNilWhenAllowed() throws {
    let a = Tensor([1] as [Float]).requiringGrad()
    let b = Tensor([2] as [Float]).requiringGrad()
    let grads = try grad(of: [(a * 5).sum()], wrt: [a, b], allowUnused: true)
    #expect(values(grads[0]!) == [5])
    #expect(grads[1] == nil)
    #expect(throws: TorchError.self) { try grad(of: [(a * 5).sum()], wrt: [a, b]) }
  }
}
