import ArgumentParser
import Audio
import Foundation
import Musika
import Torch

extension PCMStreamEncoder.Format: ExpressibleByArgument {}

extension MusikaCommand {
  struct Stream: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Play endless music: write a WAV (or raw PCM) stream to standard output.",
      discussion: """
        Pipe it into any player, e.g. `musika stream --model M | aplay` or `… | ffplay -nodisp -` or \
        `… | play -t wav -`. It runs until stopped (Ctrl-C, or the player quits) or for --seconds, in \
        constant memory. With --controls, lines typed on standard input steer the music while it plays \
        (`seed 7`, `truncation 1.5`, `tempo 128`, `density 3`); each change ramps in within a few seconds.
        """
    )

    @OptionGroup var generation: GenerationOptions

    @Option(help: "Stop after this many seconds (default: never).") var seconds: Double?
    @Option(help: "Seconds to skip from the start of the stream (seek).") var start: Double = 0
    @Option(help: "Container: wav (header for unknown length) or raw (headerless PCM).") var container: Container = .wav
    @Option(help: "Sample format: s16 or f32.") var sampleFormat: PCMStreamEncoder.Format = .s16
    @Flag(help: "Read control changes from standard input while playing.") var controls = false

    @OptionGroup var runtime: RuntimeOptions

    enum Container: String, ExpressibleByArgument, CaseIterable { case wav, raw }

    func validate() throws {
      if let seconds, seconds <= 0 { throw ValidationError("--seconds must be positive (got \(seconds)).") }
      guard start >= 0 else { throw ValidationError("--start must be ≥ 0 seconds (got \(start)).") }
      guard isatty(STDOUT_FILENO) == 0 else {
        throw ValidationError("standard output is a terminal; pipe it into a player, e.g. `musika stream --model M | aplay`.")
      }
    }

    func run() async throws {
      try TorchRuntime.setThreadCount(runtime.threads)
      signal(SIGPIPE, SIG_IGN)  // a player that quits ends the stream with EPIPE, not a crash
      let model = try generation.loadModel()
      let requested = try generation.requested()
      let initial = try generation.resolve(requested, for: model)
      let stream = try MusicStream(model: model, controls: initial, start: start)
      let encoder = PCMStreamEncoder(format: sampleFormat, sampleRate: model.sampleRate, channels: 2)
      if controls { readControls(into: stream, base: requested) }
      report("streaming '\(model.config.name)' seed \(initial.seed) at \(model.sampleRate) Hz, stereo, \(sampleFormat.rawValue)…")
      if container == .wav, !write(encoder.wavHeader()) { return }
      let limit = seconds.map { Int(($0 * Double(model.sampleRate)).rounded()) }
      var written = 0
      let clock = ContinuousClock()
      let began = clock.now
      // The same limiter `generate` applies to a file, run chunk by chunk: the same seed and options give
      // the same samples on both paths (it holds back its 5 ms look-ahead until the next chunk).
      var limiter = StreamingPeakLimiter(channels: 2)
      var open = true
      for try await chunk in stream.chunks() {
        let chunk = limit.map { chunk.prefix($0 - written) } ?? chunk
        written += chunk.frames
        open = write(encoder.encode(limiter.process(chunk.interleaved())))
        if !open { break }
        if let limit, written >= limit { break }
      }
      if open { _ = write(encoder.encode(limiter.finish())) }
      let audio = Double(written) / Double(model.sampleRate)
      let elapsed = (clock.now - began).seconds
      report(String(format: "streamed %.1f s of audio in %.1f s (%.1f× real time)", audio, elapsed, audio / max(elapsed, 1e-9)))
    }

    /// Writes all bytes to standard output; false once the reader has gone.
    private func write(_ data: Data) -> Bool {
      data.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
          let n = Foundation.write(STDOUT_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
          if n < 0 {
            if errno == EINTR { continue }
            return false
          }
          offset += n
        }
        return true
      }
    }

    /// Reads control lines (`seed 7`, `tempo 128`…) from standard input and steers the stream with them.
    private func readControls(into stream: MusicStream, base: Controls) {
      let thread = Thread {
        var current = base
        while let line = readLine() {
          do {
            let next = current.merged(with: try Controls(line: line))
            try stream.change(try next.resolved(for: stream.model.config))
            current = next
            report("controls: \(line.trimmingCharacters(in: .whitespaces))")
          } catch {
            report("controls: \(error)")
          }
        }
      }
      thread.start()
    }
  }
}
