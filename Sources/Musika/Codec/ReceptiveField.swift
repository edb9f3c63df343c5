import Torch

/// How far a chain of convolutions reaches into its input: the context that chunked decoding needs
/// on each side so that every kept output equals what decoding the whole piece gives. Derived from
/// each layer's kernel, stride and padding, never set by hand.
enum ReceptiveField {
  /// One layer's reach in its own input's steps (the farthest input on either side of the input
  /// position an output stands for), and output steps per input step.
  static func reach(of layer: any Layer) -> (reach: Double, scale: Double) {
    if let conv = layer as? Conv1d {
      let s = conv.config.stride
      // 'same' padding for a length that strides divide (the decoders' chunks are aligned so).
      let (left, _) = conv.config.padding.amounts(length: 16 * s, kernel: conv.kernel, stride: s,
                                                   dilation: conv.config.dilation)
      let span = (conv.kernel - 1) * conv.config.dilation
      // Output i reads inputs s·i − left … s·i − left + span; it stands for input s·i.
      return (Double(max(left, span - left)), 1 / Double(s))
    }
    if let conv = layer as? ConvTranspose1d {
      let (s, d) = (conv.config.stride, conv.config.dilation)
      let span = (conv.kernel - 1) * d
      let crop: Int
      switch conv.config.padding {
      case .same: crop = (span + 1 - s) / 2
      case .valid: crop = 0
      case .explicit(let p): crop = p
      }
      // Output o reads inputs j with 0 ≤ o + crop − s·j ≤ span; it stands for input o / s.
      var reach = 0.0
      for o in 0..<s {
        let low = Int((Double(o + crop - span) / Double(s)).rounded(.up))
        let high = Int((Double(o + crop) / Double(s)).rounded(.down))
        reach = max(reach, Double(o) / Double(s) - Double(low), Double(high) - Double(o) / Double(s))
      }
      return (reach, Double(s))
    }
    preconditionFailure("ReceptiveField: no geometry for \(type(of: layer))")
  }

  /// The reach of layers applied one after another, in steps of the first layer's input.
  static func radius(of chain: [any Layer]) -> Double {
    var spacing = 1.0  // first-input steps per step of the current layer's input
    var total = 0.0
    for layer in chain {
      let (reach, scale) = Self.reach(of: layer)
      total += reach * spacing
      spacing /= scale
    }
    return total
  }
}
