import ArgumentParser
import Foundation
import Musika
import Torch

extension MusikaCommand {
  struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Measure speed on this machine; every figure is a ratio or rate from the same run.",
      subcommands: [Engine.self]
    )
  }
}

extension MusikaCommand.Bench {
  struct Engine: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Tensor-engine speed: sgemm and the full-size decoder convolutions, fp32 and bf16.",
      discussion: """
        Prints GFLOP/s of a 2048² fp32 matrix product (the BLAS peak) and of the convolution stack of \
        Musika's full-size decoders (DEC2 + DEC, 19 layers) in fp32 and bf16, the ratio conv/sgemm, and \
        the real-time factor those convolutions alone would allow. Warns when matrix products run on \
        a slow reference BLAS (install libopenblas0-openmp).
        """
    )

    @OptionGroup var runtime: RuntimeOptions

    @Option(help: "Decoder windows per call (each is 0.372 s of one channel).")
    var batch: Int = 16

    @Option(help: "Minimum timed seconds per measurement.")
    var seconds: Double = 2.0

    @Flag(help: "Skip the bf16 measurement.")
    var noBF16 = false

    @Flag(help: "Also list each decoder layer's fp32 speed.")
    var layers = false

    func validate() throws {
      guard batch >= 1 else { throw ValidationError("--batch must be at least 1 (got \(batch)).") }
      guard seconds > 0 else { throw ValidationError("--seconds must be positive (got \(seconds)).") }
    }

    func run() throws {
      let options = EngineBenchmark.Options(threads: runtime.threads, device: try runtime.parsedDevice(),
                                            batch: batch, seconds: seconds, includeBF16: !noBF16)
      let report = try EngineBenchmark(options: options).run { message in
        FileHandle.standardError.write(Data("  measuring \(message)\n".utf8))
      }
      print(EngineReportFormatter.format(report, showLayers: layers))
    }
  }
}

enum EngineReportFormatter {
  static func format(_ r: EngineBenchmark.Report, showLayers: Bool) -> String {
    func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
    var lines = [
      "musika bench engine",
      "  libtorch \(r.torchVersion) · device \(r.device) · threads \(r.threads) · BLAS \(r.blas.description)",
      "  sgemm fp32 2048²             \(f(r.sgemm.gflops)) GFLOP/s",
      "  decoder convs fp32 (batch \(r.batch))  \(f(r.convFP32.gflops)) GFLOP/s   conv/sgemm \(f(r.convFP32.gflops / r.sgemm.gflops, 2))"
        + "   ≈ \(f(r.realTimeFactor(r.convFP32)))× real time (decoder convs only)",
    ]
    if let bf16 = r.convBF16 {
      lines.append("  decoder convs bf16 (batch \(r.batch))  \(f(bf16.gflops)) GFLOP/s   bf16/fp32 \(f(bf16.gflops / r.convFP32.gflops, 2))"
        + "   ≈ \(f(r.realTimeFactor(bf16)))× real time")
    }
    if showLayers {
      lines.append("  per layer, fp32 (slowest first):")
      for m in r.layers {
        lines.append("    \(m.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(f(m.gflops)) GFLOP/s  "
          + "\(f(m.secondsPerRun * 1000, 2)) ms")
      }
    }
    if r.blasLooksSlow {
      lines.append("""
        WARNING: matrix products are slow (\(f(r.sgemm.gflops)) GFLOP/s on \(r.blas.description)). \
        Install an optimised BLAS (sudo apt-get install libopenblas0-openmp) and make sure libblas.so.3 \
        points to it (sudo update-alternatives --config libblas.so.3-x86_64-linux-gnu); scripts/setup.sh \
        checks both.
        """)
    }
    return lines.joined(separator: "\n")
  }
}
