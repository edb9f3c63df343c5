import ArgumentParser
import Foundation
import Musika
import Torch

extension MusikaCommand {
  struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Measure speed on this machine; every figure is a ratio or rate from the same run.",
      subcommands: [Engine.self, Generate.self]
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

    @OptionGroup var device: DeviceOption

    @Flag(help: "Also list each decoder layer's fp32 speed.")
    var layers = false

    func validate() throws {
      guard batch >= 1 else { throw ValidationError("--batch must be at least 1 (got \(batch)).") }
      guard seconds > 0 else { throw ValidationError("--seconds must be positive (got \(seconds)).") }
    }

    func run() throws {
      let options = EngineBenchmark.Options(threads: runtime.threads, device: try device.usable(),
                                            batch: batch, seconds: seconds, includeBF16: !noBF16)
      let report = try EngineBenchmark(options: options).run { message in
        FileHandle.standardError.write(Data("  measuring \(message)\n".utf8))
      }
      print(EngineReportFormatter.format(report, showLayers: layers))
    }
  }
}

extension MusikaCommand.Bench {
  struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Generation speed and memory of the full-size model (random weights; speed does not depend on them) or of a trained model.",
      discussion: """
        Streams --seconds of audio from the musika-44k generator and codec (or the --model folder's, e.g. \
        models/piano, with its default controls and phase source) with fp32 decoders, then with \
        bf16 decoders, and reports the real-time factor (audio seconds per compute second), the time to \
        first audio of a stream on a loaded model (and cold, on first use), and the resident memory over \
        a --stream-minutes stream. The decoders' convolution rate is printed beside this run's sgemm \
        peak, so figures from noisy machines can be compared. Targets on a 2-core CPU: ≥ 30× real time \
        in fp32, ≥ 45× in bf16, first audio < 150 ms, memory flat.
        """
    )

    @OptionGroup var runtime: RuntimeOptions
    @Option(help: "Seconds of audio per speed measurement.") var seconds: Double = 60
    @Option(help: "Minutes of the memory stream (0 skips it).") var streamMinutes: Double = 10
    @Flag(help: "Skip the bf16 measurement.") var noBF16 = false
    @Option(help: "Generator size: musika-44k or musika-44k-small.") var config: GANPreset = .musika44k
    @Option(help: "A trained model's folder (e.g. models/piano) instead of random weights at --config's size.")
    var model: String?
    @Option(help: ArgumentHelp("Also render this many streams at once, each on its own thread (0: skip).",
                               discussion: "As the studio's listeners are: libtorch's threads are shared among them. Prints "
                                 + "their audio together per second of wall time and each stream's own real-time factor "
                                 + "(a live stream needs ≥ 1×)."))
    var streams = 0
    @Option(help: "Latent vectors per decoded chunk, a multiple of 16 (default: what `generate` renders with; live streams use 64).")
    var chunkVectors = MusicStream.renderingChunkVectors
    @Option(name: .customLong("phase-from"),
            help: ArgumentHelp("Where the decoders take the phase from: decoder or magnitude (default: the codec's own).",
                               discussion: "musika-44k's random codec takes it from DEC's phase head, as the original; "
                                 + "the bundled models integrate it from the magnitude, which skips the phase head.",
                               valueName: "source"))
    var phaseSource: PhaseSource?
    @OptionGroup var phaseIterations: PhaseIterationsOption

    func validate() throws {
        guard seconds > 0 else { throw ValidationError("--seconds must be positive (got \(seconds)).") }
      guard chunkVectors >= 16, chunkVectors % 16 == 0 else {
        throw ValidationError("--chunk-vectors must be a positive multiple of 16 (got \(chunkVectors)).")
      }
      guard streams >= 0 else { throw ValidationError("--streams must be ≥ 0 (got \(streams)).") }
      guard streamMinutes >= 0 else { throw ValidationError("--stream-minutes must be ≥ 0 (got \(streamMinutes)).") }
    }

    func run() throws {
      var options = GenerationBenchmark.Options(threads: runtime.threads)
      options.seconds = seconds
      options.streamMinutes = streamMinutes
      options.includeBF16 = !noBF16
      options.gan = config.config
      options.chunkVectors = chunkVectors
      options.concurrentStreams = streams
      options.phaseSource = phaseSource
      options.phaseIterations = phaseIterations.value
      if let model {
        let folder = URL(fileURLWithPath: model)
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path) else {
          throw ValidationError("--model \(model): no config.json there; give a model folder such as models/piano.")
        }
        options.modelFolder = folder
      }
      let r = try GenerationBenchmark(options: options).run { FileHandle.standardError.write(Data("  measuring \($0)\n".utf8)) }
      func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
      var lines = [
        "musika bench generate",
        "  \(r.modelName) generator \(r.generatorParameters) + codec \(r.codecParameters) parameters"
          + (model == nil ? " (random weights)" : "") + " · phase from \(r.phaseSource.describe(iterations: r.phaseIterations)) · threads \(r.threads)"
          + " · chunks of \(options.chunkVectors) vectors",
        "  sgemm fp32 2048² (this run)   \(f(r.sgemmGFLOPS)) GFLOP/s",
      ]
      for speed in [r.fp32] + (r.bf16.map { [$0] } ?? []) {
        let convs = r.decoderMACsPerAudioSecond.map { macs in
          let gflops = 2 * macs * speed.realTimeFactor / 1e9
          return " · decoder convs ≈ \(f(gflops)) GFLOP/s (\(f(gflops / r.sgemmGFLOPS, 2)) of sgemm)"
        } ?? ""
        lines.append("  \(speed.precision)  \(f(speed.audioSeconds)) s of audio in \(f(speed.computeSeconds, 2)) s = "
          + "\(f(speed.realTimeFactor))× real time\(convs) · first audio \(f(speed.firstAudioSeconds * 1000, 0)) ms")
        let d = speed.decodeSeconds
        let share = { (x: Double) in f(100 * x / speed.computeSeconds, 0) + " %" }
        lines.append("        time: generator \(share(speed.generatorSeconds)) · DEC2 \(share(d.dec2)) · DEC \(share(d.dec))"
          + " · phase \(share(d.phase)) · inverse STFT \(share(d.inverse - d.phase))"
          + " · other \(share(speed.computeSeconds - speed.generatorSeconds - d.dec2 - d.dec - d.inverse))")
      }
      lines.append("  generate, stream and serve decode here in \(DecoderPrecision.auto.describe()) by default")
      lines.append("  first audio of a new stream on a just-loaded model: \(f(r.coldFirstAudioSeconds * 1000, 0)) ms "
        + "(the model warmed up at load in \(f(r.warmUpSeconds * 1000, 0)) ms)")
      if let c = r.concurrent {
        lines.append("  \(c.streams) streams at once (\(c.precision), a thread each): \(c.streams) × \(f(c.audioSecondsEach)) s in "
          + "\(f(c.wallSeconds, 2)) s = \(f(c.realTimeFactor))× real time together; each stream "
          + "\(f(c.streamFactors.first ?? 0))–\(f(c.streamFactors.last ?? 0))× its own real time")
      }
      if let m = r.memory {
        lines.append("  \(f(m.audioSeconds / 60)) min stream in \(f(m.computeSeconds)) s (\(f(m.audioSeconds / m.computeSeconds))× real time): "
          + "RSS \(f(m.afterFirstMinute)) MiB after 1 min, \(f(m.atEnd)) MiB at the end, peak \(f(m.peak)) MiB; "
          + "own (anonymous) \(f(m.ownAtEnd)) MiB at the end, the rest is mapped library code")
      }
      print(lines.joined(separator: "\n"))
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
