import ArgumentParser
import Audio
import Foundation
import Musika
import Torch

extension MusikaCommand {
  struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Print the tempo and note onsets that `musika label` finds in audio files.",
      discussion: """
        For each FILE, prints its tempo (BPM, or none when no steady pulse is found), its onset count \
        and mean note density; with --json, one JSON object per line with every onset time in seconds, \
        for checking the labeller against known onsets.
        """
    )

    @Argument(help: "Audio files.") var files: [String]
    @Flag(help: "One JSON object per file: file, tempo, onsets (seconds), duration.") var json = false
    @OptionGroup var tempoRange: TempoRangeOption
    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
      try TorchRuntime.setThreadCount(runtime.threads)
      var labeler = DatasetLabeler()
      labeler.estimator = try tempoRange.applied(to: labeler.estimator)
      for file in files {
        let audio = try AudioFile.read(URL(fileURLWithPath: file), sampleRate: DatasetLabeler.analysisRate)
        let (tempo, onsets) = try labeler.analyze(audio.samples)
        if json {
          let object: [String: Any] = ["file": file, "tempo": tempo ?? NSNull(), "duration": audio.duration,
                                       "onsets": onsets.map { ($0 * 1000).rounded() / 1000 }]
          print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
          let bpm = tempo.map { String(format: "%.1f BPM", $0) } ?? "no steady pulse"
          print(String(format: "%@: %@, %d onsets (%.2f per second)", file, bpm, onsets.count,
                       Double(onsets.count) / max(audio.duration, 1e-9)))
        }
      }
    }
  }
}
