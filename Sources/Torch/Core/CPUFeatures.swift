import Foundation

/// What this CPU offers that decides whether bfloat16 convolutions pay in libtorch 1.13's oneDNN.
/// Measured (`musika bench engine`, decoder convs bf16 ÷ fp32): an AVX2 EPYC 0.09 (emulated, 11×
/// slower); an Intel Xeon with AVX-512 BF16 but no AMX 0.73 (slower too); an AMD EPYC with AVX-512
/// BF16 (Zen 4, family 25 model 17) 1.97, and 1.7× end to end (`musika bench generate`); a machine
/// with AMX 1.98. So AMX counts as fast, and AVX-512 BF16 on AMD (whose cores run VDPBF16PS at the
/// rate of two float FMAs), not on Intel without AMX.
public struct CPUFeatures: Sendable, Equatable {
  /// The kernel's flag names (`/proc/cpuinfo`), e.g. "avx2", "avx512_bf16", "amx_bf16".
  public var flags: Set<String>
  /// The x86 vendor (`vendor_id`: "GenuineIntel", "AuthenticAMD"), or "" where none is listed.
  public var vendor: String

  public init(flags: Set<String>, vendor: String = "") {
    self.flags = flags
    self.vendor = vendor
  }

  /// The flags of the first processor listed in the text of `/proc/cpuinfo` (x86 "flags", Arm
  /// "Features").
  public init(cpuinfo: String) {
    var vendor = ""
    for line in cpuinfo.split(separator: "\n") {
      let parts = line.split(separator: ":", maxSplits: 1)
      guard parts.count == 2 else { continue }
      let key = parts[0].trimmingCharacters(in: .whitespaces)
      if key == "vendor_id", vendor.isEmpty { vendor = parts[1].trimmingCharacters(in: .whitespaces) }
      if key == "flags" || key == "Features" {
        self.init(flags: Set(parts[1].split(separator: " ").map(String.init)), vendor: vendor)
        return
      }
    }
    self.init(flags: [], vendor: vendor)
  }

  /// This machine's (no flags where `/proc/cpuinfo` cannot be read, e.g. on macOS: bf16 is then
  /// never chosen by itself).
  public static let current = CPUFeatures(cpuinfo: (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")

  /// Whether bf16 convolutions are expected to beat float32 here: with AMX, or with AVX-512 BF16 on
  /// an AMD CPU (on Intel without AMX it measured slower than float32).
  public var hasFastBFloat16: Bool {
    flags.contains("amx_bf16") || (vendor == "AuthenticAMD" && flags.contains("avx512_bf16"))
  }

  /// Why `hasFastBFloat16` says what it says, for the line a command prints.
  public var bfloat16Reason: String {
    if flags.contains("amx_bf16") { return "this CPU has AMX" }
    if hasFastBFloat16 { return "AVX-512 BF16 on an AMD CPU" }
    return flags.contains("avx512_bf16") ? "AVX-512 BF16 without AMX, where bf16 measured slower"
                                          : "no AMX or AVX-512 BF16 here, where bf16 is emulated"
  }
}
