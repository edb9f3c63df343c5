import Torch

/// The precision the codec's decoders run in, as users choose it (`--precision`). `auto` picks bf16
/// where this CPU has AMX, or AVX-512 BF16 on AMD (`CPUFeatures.hasFastBFloat16`; the decoded audio
/// stays within the bound the README quotes) and fp32 everywhere else, where bf16 measured slower
/// (Intel's AVX-512 BF16 without AMX: 0.73× fp32's conv rate; AVX2: emulated, ~11× slower). The same
/// machine always makes the same choice, so the same seed and options still give the same audio,
/// bit for bit.
public enum DecoderPrecision: String, CaseIterable, Sendable {
  case auto, fp32, bf16

  /// The tensor type the decoders run in on a CPU with `features`.
  public func dtype(on features: CPUFeatures = .current) -> DType {
    switch self {
    case .fp32: .float32
    case .bf16: .bfloat16
    case .auto: features.hasFastBFloat16 ? .bfloat16 : .float32
    }
  }

  /// "bf16" or "fp32", and why when `auto` chose it (for the line a command prints).
  public func describe(on features: CPUFeatures = .current) -> String {
    let chosen = dtype(on: features) == .bfloat16 ? "bf16" : "fp32"
    guard self == .auto else { return chosen }
    return chosen + (features.hasFastBFloat16 ? " (auto: \(features.bfloat16Reason); --precision fp32 for full precision)"
                                              : " (auto: \(features.bfloat16Reason))")
  }
}
