import Torch

/// One codec whose decoders (DEC2, DEC) are the mean of several checkpoints' (Polyak averaging), for
/// checkpoints of one decoders' stage: their encoders are frozen there, so every checkpoint encodes to
/// the same latents, and so does the average.
///
/// Why: at a constant learning rate the decoders' last checkpoints wander around the minimum, and how a
/// sustained chord comes back through both levels wanders with them (the weakest partial of the bundled
/// codec's test chord stood 10.8 to 24.9 dB over the floor across the last five milestones of a decoders'
/// stage, 2 000 steps apart, for the same log-mel L1); their mean stood 27.1 dB over it and scored better
/// on held-out piano than the last milestone alone.
public enum DecoderAveraging {
  /// Tensors of the encoders, which must be the same in every checkpoint averaged.
  static func isEncoder(_ key: String) -> Bool { key.hasPrefix("encoder.") || key.hasPrefix("latentEncoder.") }

  /// Equal element for element (a NaN anywhere makes them differ).
  static func same(_ a: Tensor, _ b: Tensor) -> Bool {
    a.shape == b.shape && a.dtype == b.dtype && (a - b).abs().amax().item() == 0
  }

  /// The mean of `codecs`' weights (at least two, of one architecture, with identical encoders and different
  /// decoders) in a codec with the first one's configuration and no output equalisation (measured for other
  /// decoders: calibrate the average again). `names` say which input is which in errors.
  public static func average(_ codecs: [SpectralCodec], names: [String]) throws -> SpectralCodec {
    precondition(names.count == codecs.count, "DecoderAveraging: one name per codec")
    guard codecs.count >= 2 else {
      throw MusikaError.invalidInput("averaging needs at least two codecs (got \(codecs.count))")
    }
    // The name and decoding settings may differ (`CodecConfig.networks`); the average takes the first one's.
    let states = codecs.map { $0.stateDict() }
    for index in codecs.indices.dropFirst() {
      guard codecs[index].config.networks == codecs[0].config.networks else {
        throw MusikaError.invalidInput("\(names[index]) has another architecture than \(names[0]): only checkpoints of one run can be averaged")
      }
      for (key, tensor) in states[0] where isEncoder(key) {
        guard let other = states[index][key], same(other, tensor) else {
          throw MusikaError.invalidInput("\(names[index]) encodes otherwise than \(names[0]) (\(key) differs): average only "
            + "checkpoints of one decoders' stage (`codec train --decoders-from`, or the stage-3 milestones of a run), "
            + "whose encoders are frozen")
        }
      }
      // A run's codec/, checkpoints/latest and its last milestone hold the same weights: counted twice, they
      // would weigh double in the mean.
      for earlier in 0..<index where states[earlier].allSatisfy({ key, tensor in isEncoder(key) || same(tensor, states[index][key]!) }) {
        throw MusikaError.invalidInput("\(names[earlier]) and \(names[index]) hold the same weights (a run's codec/ and its "
          + "last milestone, say): give each checkpoint once")
      }
    }
    var averaged: [String: Tensor] = [:]
    for (key, tensor) in states[0] {
      // Summed in float64: the mean does not depend on the order beyond float32's rounding of the result.
      let sum = states.dropFirst().reduce(tensor.to(dtype: .float64)) { $0 + $1[key]!.to(dtype: .float64) }
      averaged[key] = (sum / Double(states.count)).to(dtype: .float32)
    }
    var config = codecs[0].config
    config.equalizationDb = nil
    let result = try SpectralCodec(config: config)
    try withNoGrad { try result.load(averaged) }
    result.eval()
    return result
  }
}
