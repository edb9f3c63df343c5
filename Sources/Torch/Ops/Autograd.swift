import CTorch

extension Tensor {
  /// Accumulates d(self)/d(leaf) into each leaf's `.grad`. `self` must be a scalar unless `gradient` is given.
  public func backward(gradient: Tensor? = nil, retainGraph: Bool = false, createGraph: Bool = false) {
    must { try tryBackward(gradient: gradient, retainGraph: retainGraph, createGraph: createGraph) }
  }

  public func tryBackward(gradient: Tensor? = nil, retainGraph: Bool = false, createGraph: Bool = false) throws {
    try check("backward",
              ct_autograd_backward(handle, gradient?.handle, retainGraph ? 1 : 0, createGraph ? 1 : 0))
  }
}

/// Gradients of `outputs` with respect to `inputs` (torch.autograd.grad), returned rather than
/// accumulated. With `createGraph` the gradients are themselves differentiable, which a gradient
/// penalty such as R1 needs. An input that does not influence the outputs gives nil when
/// `allowUnused` is set (and an error otherwise).
public func grad(of outputs: [Tensor], wrt inputs: [Tensor], gradOutputs: [Tensor]? = nil,
                 retainGraph: Bool? = nil, createGraph: Bool = false, allowUnused: Bool = false) throws -> [Tensor?] {
  if let gradOutputs, gradOutputs.count != outputs.count {
    throw TorchError(op: "grad", message: "\(gradOutputs.count) grad outputs for \(outputs.count) outputs")
  }
  var outs = [ct_tensor?](repeating: nil, count: inputs.count)
  let retain = retainGraph ?? createGraph
  try withHandles(outputs) { outputHandles, nOutputs in
    try withHandles(inputs) { inputHandles, nInputs in
      try withHandles(gradOutputs ?? []) { gradHandles, _ in
        try outs.withUnsafeMutableBufferPointer { buffer in
          try check("grad",
                    ct_autograd_grad(buffer.baseAddress, outputHandles, nOutputs, gradOutputs == nil ? nil : gradHandles,
                                     inputHandles, nInputs, retain ? 1 : 0, createGraph ? 1 : 0, allowUnused ? 1 : 0))
        }
      }
    }
  }
  return outs.map { $0.map(Tensor.init(handle:)) }
}

/// The gradient of one scalar with respect to each input (all must be used).
public func grad(of output: Tensor, wrt inputs: [Tensor], createGraph: Bool = false) throws -> [Tensor] {
  try grad(of: [output], wrt: inputs, createGraph: createGraph).map { $0! }
}
