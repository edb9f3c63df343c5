import Foundation

/// What this CPU offers that decides whether bfloat16 convolutions pay. libtorch 1.13's oneDNN runs
/// them natively only with AVX-512 BF16 or AMX (there they are about twice as fast as float32); on
/// other x86 CPUs it emulates them, about 11× slower than float32 (measured on an AVX2 EPYC).
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

  /// Whether bf16 convolutions run natively (faster than float32) here.
  public var hasFastBFloat16: Bool { flags.contains("avx512_bf16") || flags.contains("amx_bf16") }
}
