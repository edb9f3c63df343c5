import Torch

/// One codec whose decoders (DEC2, DEC) are the mean of several checkpoints' (Polyak averaging), for
/// checkpoints of one decoders' stage: their encoders are frozen there, so every checkpoint encodes to
/// the same latents, and so does the average.
///
/// Why: at a constant learning rate the decoders' last checkpoints wander around the minimum, and how a
/// sustained chord comes back through both levels wanders with them (the weakest partial of the bundled
/// codec's test chord stood 10.8 to 30.6 dB over the floor across six checkpoints 2 000 steps apart, for
/// the same log-mel L1); the mean of the last five stood 27.1 dB over it and scored as well as the best
/// of them on held-out music.
public enum DecoderAveraging {
  /// Tensors of the encoders, which must be the same in every checkpoint averaged.
  static func isEncoder(_ key: String) -> Bool { key.hasPrefix("encoder.") || key.hasPrefix("latentEncoder.") }

  /// The mean of `codecs`' weights (at least two, of one architecture, with identical encoders) in a codec
  /// with the first one's configuration and no output equalisation (measured for other decoders:
  /// calibrate the average again). `names` say which input is which in errors.
  public static func average(_ codecs: [SpectralCodec], names: [String]) throws -> SpectralCodec {
    guard codecs.count >= 2, names.count == codecs.count else {
      throw MusikaError.invalidInput("averaging needs at least two codecs (got \(codecs.count))")
    }
    var architecture = codecs[0].config
    architecture.equalizationDb = nil
    let states = codecs.map { $0.stateDict() }
    for (index, codec) in codecs.enumerated().dropFirst() {
      var theirs = codec.config
      theirs.equalizationDb = nil
      theirs.name = architecture.name
      guard theirs == architecture else {
        throw MusikaError.invalidInput("\(names[index]) has another architecture or decoding settings than \(names[0]): "
          + "only checkpoints of one run can be averaged")
      }
      for (key, tensor) in states[0] where isEncoder(key) {
        guard let other = states[index][key], other.shape == tensor.shape, (other - tensor).abs().amax().item() == 0 else {
          throw MusikaError.invalidInput("\(names[index]) encodes otherwise than \(names[0]) (\(key) differs): average only "
            + "checkpoints of one decoders' stage (`codec train --decoders-from`, or the stage-3 milestones of a run), "
            + "whose encoders are frozen")
        }
      }
    }
    var averaged: [String: Tensor] = [:]
    for (key, tensor) in states[0] {
      // Summed in float64: the mean does not depend on the order beyond float32's rounding of the result.
      let sum = states.dropFirst().reduce(tensor.to(dtype: .float64)) { $0 + $1[key]!.to(dtype: .float64) }
      averaged[key] = (sum / Double(states.count)).to(dtype: .float32)
    }
    let result = try SpectralCodec(config: architecture)
    try withNoGrad { try result.load(averaged) }
    result.eval()
    return result
  }
}
