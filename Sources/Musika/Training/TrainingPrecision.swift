import Torch

/// Precision of the convolutions in training (`musika codec train --precision`, `musika train
/// --precision`): fp32, or bf16 mixed precision, where each convolution casts its input, weights and
/// bias to bfloat16 and its output back, while parameters, gradients, optimiser state and losses stay
/// float32. Pays on CPUs whose bf16 convolutions are fast (AVX-512 BF16 on AMD Zen 4, AMX); slow elsewhere.
/// Saved in checkpoints by its name ("fp32", "bf16").
public enum TrainingPrecision: String, Codable, Sendable, CaseIterable {
  case fp32, bf16

  /// The type a module's convolutions compute in (nil: the parameters' own).
  public var computeDType: DType? { self == .bf16 ? .bfloat16 : nil }
}
