import ArgumentParser
import Audio
import Foundation
import Musika
import Torch

extension MusikaCommand.Codec {
  struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Measure the level a codec's decoding loses per band of music and store the equalisation that gives it back.",
      discussion: """
        Decoding returns music a few dB quieter than it went in, more in some bands than in others: the \
        L1 losses of training aim below the mean level, and phase that does not fit the magnitude cancels \
        in the overlap-add. This command encodes and decodes (both levels, the codec's own phase source, as \
        generation does) up to --seconds from the middle of --files-per-folder files of each --audio \
        folder, measures per mel band the ratio of input to decoded energy over the audible frames (the \
        band's level as heard), and writes it, interpolated to the STFT bins, as \
        "equalizationDb" into the codec's config.json (atomically; the weights stay as they are). It \
        measures in --passes passes, each decoding with what the earlier ones found. Use music the codec \
        trained on, never the music you evaluate it on. Training a codec further drops its equalisation: \
        calibrate again afterwards. --passes 0 removes it and only measures.
        """
    )

    @OptionGroup var codecOptions: CodecOptions
    private var codecFolder: URL { codecOptions.url }

    @Option(help: "Folder of music to measure on (training music, not the held-out set); repeat to combine folders.",
            transform: { URL(fileURLWithPath: $0) })
    var audio: [URL]

    @Option(help: "Files taken from each folder, evenly spread over its sorted list.")
    var filesPerFolder: Int = 12

    @Option(help: "Seconds decoded per file, from its middle.")
    var seconds: Double = 20

    @Option(help: "Measuring passes; 0 removes the equalisation.")
    var passes: Int = 2

    @OptionGroup var phaseIterations: PhaseIterationsOption

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        if audio.isEmpty { throw ValidationError("--audio: give at least one folder of music the codec trained on.") }
      guard filesPerFolder >= 1 else { throw ValidationError("--files-per-folder must be at least 1 (got \(filesPerFolder)).") }
      guard (1...600).contains(seconds) else { throw ValidationError("--seconds must be between 1 and 600 (got \(seconds)).") }
      guard (0...5).contains(passes) else { throw ValidationError("--passes must be between 0 and 5 (got \(passes)); 2 is plenty.") }
    }

    func run() throws {
      try TorchRuntime.setThreadCount(runtime.threads)
      let codec = try codecOptions.load()
      if let stored = phaseIterations.value { try codec.setPhaseIterations(stored) }
      var files: [URL] = []
      for folder in audio {
        let names = try DatasetEncoder.audioFiles(in: folder)
        guard !names.isEmpty else { throw ValidationError("--audio \(folder.path) holds no audio files.") }
        let count = min(filesPerFolder, names.count)
        files += (0..<count).map { folder.appendingPathComponent(names[$0 * names.count / count]) }
      }
      report("codec '\(codec.config.name)', phase from \(codec.phaseSource.describe(iterations: codec.phaseIterations)): \(files.count) files, up to \(seconds) s each")
      let calibration = LevelCalibration(codec: codec, maxSeconds: seconds)
      let losses = try calibration.calibrate(files: files, passes: passes) { report("  \($0)") }
      let centres = MelFilterbank(sampleRate: codec.config.sampleRate).centerFrequencies
      let ranges: [(String, ClosedRange<Double>)] = [("< 250 Hz", 0...250), ("250 Hz–1 kHz", 250...1000),
                                                     ("1–4 kHz", 1000...4000), ("4–8 kHz", 4000...8000), ("> 8 kHz", 8000...1e6)]
      func summary(_ bands: [Double]) -> String {
        ranges.compactMap { name, range in
          let values = zip(centres, bands).filter { range.contains($0.0) }.map(\.1)
          return values.isEmpty ? nil : String(format: "%@ %+.1f", name, values.reduce(0, +) / Double(values.count))
        }.joined(separator: "  ")
      }
      print("level lost by decoding, dB (input over decoded energy per mel band, mean over the bands of each range):")
      for (pass, loss) in losses.enumerated() {
        let label = pass == 0 ? "without equalisation" : "after pass \(pass)"
        print("  \(label.padding(toLength: 21, withPad: " ", startingAt: 0)) \(summary(loss))")
      }
      try codec.writeConfig(into: codecFolder)
      if let eq = codec.config.equalizationDb {
        print(String(format: "equalisation written to %@: %+.1f to %+.1f dB over the bins",
                     codecFolder.appendingPathComponent(SpectralCodec.configFile).path, eq.min()!, eq.max()!))
      } else {
        print("equalisation removed from \(codecFolder.appendingPathComponent(SpectralCodec.configFile).path)")
      }
    }
  }
}
