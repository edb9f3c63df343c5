import Foundation

/// What this CPU offers that decides whether bfloat16 convolutions pay in libtorch 1.13's oneDNN.
/// Measured (`musika bench engine`, decoder convs bf16 ÷ fp32): an AVX2 EPYC 0.09 (emulated, 11×
/// slower); a Xeon with AVX-512 BF16 but no AMX 0.73 (slower too); the development machine 1.98.
/// So only AMX counts as fast.
public struct CPUFeatures: Sendable, Equatable {
  /// The kernel's flag names (`/proc/cpuinfo`), e.g. "avx2", "avx512_bf16", "amx_bf16".
  public var flags: Set<String>

  public init(flags: Set<String>) { self.flags = flags }

  /// The flags of the first processor listed in the text of `/proc/cpuinfo` (x86 "flags", Arm
  /// "Features").
  public init(cpuinfo: String) {
    for line in cpuinfo.split(separator: "\n") {
      let parts = line.split(separator: ":", maxSplits: 1)
      guard parts.count == 2 else { continue }
      let key = parts[0].trimmingCharacters(in: .whitespaces)
      if key == "flags" || key == "Features" {
        self.init(flags: Set(parts[1].split(separator: " ").map(String.init)))
        return
      }
    }
    self.init(flags: [])
  }

  /// This machine's (no flags where `/proc/cpuinfo` cannot be read, e.g. on macOS: bf16 is then
  /// never chosen by itself).
  public static let current = CPUFeatures(cpuinfo: (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")

  /// Whether bf16 convolutions are expected to beat float32 here: with AMX (AVX-512 BF16 alone
  /// measured slower than float32).
  public var hasFastBFloat16: Bool { flags.contains("amx_bf16") }
}
