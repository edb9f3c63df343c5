import ArgumentParser
import Audio
import Foundation
import Musika
import Torch

extension MusikaCommand {
  struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Generate music with a trained GAN model and write it to audio files.",
      discussion: """
        Writes --seconds of stereo audio per seed to -o (.wav, .flac, .ogg or .mp3), through a peak \
        limiter, and prints each path. --count K writes seeds S, S+1, … as NAME-seedS.EXT. \
        --start skips into the piece: the same span of a longer run from 0 (the same samples with \
        DEC's phase head; with a phase from the magnitude, the bundled models' default, the same sound). \
        --morph-to SEED --over SECONDS glides the style from --seed to another seed. --loop SECONDS \
        writes one seamless loop (its length rounded to whole generator windows, 11.9 s for 44.1 kHz \
        models) that can repeat without a click.
        """
    )

    @OptionGroup var generation: GenerationOptions

    @Option(help: "Seconds of audio per file.") var seconds: Double = 30
    @Option(help: "Number of files (seeds S, S+1, …).") var count: Int = 1
    @Option(help: "Seconds to skip from the start of the stream (seek).") var start: Double = 0
    @Option(help: "Seed to morph the style towards.") var morphTo: UInt64?
    @Option(help: "Seconds the morph takes (with --morph-to).") var over: Double?
    @Option(help: "Write a seamless loop of about this many seconds (instead of --seconds).") var loop: Double?

    @Option(name: .shortAndLong, help: "Output audio file (default: musika-seedS.wav).")
    var output: String?

    @Option(help: "Sample encoding of WAV/FLAC output: \(SampleEncoding.allCases.map(\.rawValue).joined(separator: ", ")).")
    var encoding: SampleEncoding = .pcm16

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
      guard seconds > 0, seconds.isFinite else { throw ValidationError("--seconds must be positive (got \(seconds)).") }
      guard count >= 1 else { throw ValidationError("--count must be at least 1 (got \(count)).") }
      guard start >= 0 else { throw ValidationError("--start must be ≥ 0 seconds (got \(start)).") }
      if (morphTo == nil) != (over == nil) { throw ValidationError("--morph-to and --over go together.") }
      if let over, over <= 0 { throw ValidationError("--over must be positive (got \(over)).") }
      if let loop {
        guard loop > 0 else { throw ValidationError("--loop must be positive (got \(loop)).") }
        if morphTo != nil || start > 0 { throw ValidationError("--loop cannot be combined with --morph-to or --start.") }
        if generation.phaseSource == .magnitude {
          throw ValidationError("--loop cannot be combined with --phase-from magnitude: a loop must repeat exactly, and a phase "
            + "integrated from the magnitude runs on from where the audio began (loops use DEC's phase head).")
        }
      }
      if let output {
        let ext = URL(fileURLWithPath: output).pathExtension.lowercased()
        guard ["wav", "flac", "ogg", "mp3"].contains(ext) else {
          throw ValidationError("-o \(output): the extension must be .wav, .flac, .ogg or .mp3.")
        }
      }
    }

    func run() throws {
      try TorchRuntime.setThreadCount(runtime.threads)
      let model = try generation.loadModel()
      for index in 0..<count {
        let seed = generation.seed &+ UInt64(index)
        let controls = try generation.controls(for: model, seed: seed)
        let target = outputURL(seed: seed)
        let clock = ContinuousClock()
        let began = clock.now
        let audio: Tensor
        if let loop {
          let stream = try MusicStream(model: model, controls: controls, loopSeconds: loop,
                                       chunkVectors: MusicStream.renderingChunkVectors)
          audio = try stream.renderLoop()
          report(String(format: "loop of %.2f s (%d generator windows; phase from DEC's head, whatever the codec's setting: a loop must repeat exactly)", stream.loopSeconds!,
                        stream.loopVectors! / model.config.gan.windowVectors))
        } else {
          let stream = try MusicStream(model: model, controls: controls, start: start,
                                       chunkVectors: MusicStream.renderingChunkVectors)
          if let morphTo, let over {
            var target = controls
            target.seed = morphTo
            try stream.schedule(target, atVector: 0, ramp: max(1, Int((over / model.secondsPerVector).rounded())))
          }
          audio = try stream.render(seconds: seconds)
        }
        let elapsed = (clock.now - began).seconds
        try AudioFile.write(audio, sampleRate: model.sampleRate, to: target, encoding: encoding,
                            limiter: loop == nil ? PeakLimiter() : nil)
        let length = Double(audio.size(1)) / Double(model.sampleRate)
        report(String(format: "seed %llu: %.1f s of audio in %.2f s (%.1f× real time)", seed, length, elapsed,
                      length / max(elapsed, 1e-9)))
        print(target.path)
      }
    }

    private func outputURL(seed: UInt64) -> URL {
      guard let output else { return URL(fileURLWithPath: "musika-seed\(seed).wav") }
      let url = URL(fileURLWithPath: output)
      guard count > 1 else { return url }
      let stem = url.deletingPathExtension().lastPathComponent
      return url.deletingLastPathComponent().appendingPathComponent("\(stem)-seed\(seed).\(url.pathExtension)")
    }
  }
}
