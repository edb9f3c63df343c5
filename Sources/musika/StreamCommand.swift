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
      let initial = try generation.controls(for: model)
      let stream = try MusicStream(model: model, controls: initial, start: start)
      let encoder = PCMStreamEncoder(format: sampleFormat, sampleRate: model.sampleRate, channels: 2)
      if controls { readControls(into: stream, base: initial) }
      report("streaming '\(model.config.name)' seed \(initial.seed) at \(model.sampleRate) Hz, stereo, \(sampleFormat.rawValue)…")
      if container == .wav, !write(encoder.wavHeader()) { return }
      let limit = seconds.map { Int(($0 * Double(model.sampleRate)).rounded()) }
      var written = 0
      let clock = ContinuousClock()
      let began = clock.now
      for try await chunk in stream.chunks() {
        let chunk = limit.map { chunk.prefix($0 - written) } ?? chunk
        guard write(encoder.encode(chunk.interleaved())) else { break }
        written += chunk.frames
        if let limit, written >= limit { break }
      }
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

    private func readControls(into stream: MusicStream, base: GenerationControls) {
      let thread = Thread {
        var current = base
        while let line = readLine() {
          let words = line.split(separator: " ").map(String.init)
          guard words.count == 2, let value = Double(words[1]) else {
            report("controls: expected 'seed N', 'truncation X', 'tempo BPM' or 'density V', got '\(line)'")
            continue
          }
          var next = current
          switch words[0] {
          case "seed": next.seed = UInt64(max(0, value))
          case "truncation": next.truncation = value
          case "tempo": next.tempo = value
          case "density": next.density = .constant(value)
          default:
            report("controls: unknown control '\(words[0])'")
            continue
          }
          do {
            try stream.change(next)
            current = next
            report("controls: \(words[0]) → \(words[1])")
          } catch {
            report("controls: \(error)")
          }
        }
      }
      thread.start()
    }
  }
}
