import ArgumentParser
import Foundation
import Musika
import Torch

extension MusikaCommand {
  struct Label: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Write tempo and note-density labels into an encoded dataset, for conditioned training.",
      discussion: """
        For each file of DATA (a folder written by `musika encode`), reads its source audio and writes \
        into DATA/manifest.json its tempo in BPM (onset-strength autocorrelation; octave errors resolved \
        towards the beat, folded by octaves into --tempo-range, 55–200 BPM by default), its note density per latent vector (spectral-flux \
        onsets per second within ±1 s) and, for files with a tempo, the beats elapsed at each latent vector \
        (beats tracked at that tempo). `musika train --condition tempo density` then uses them, and \
        `--critic-beat` the beats. Files already labelled are skipped unless --overwrite (files labelled \
        before beats were tracked get their beats at the tempo they have); an interrupted run continues \
        where it stopped.
        """
    )

    @Argument(help: "Encoded dataset folder (from `musika encode`).", transform: { URL(fileURLWithPath: $0) })
    var data: URL

    @Option(help: "Folder of the source audio (default: the folder `musika encode` read).",
            transform: { URL(fileURLWithPath: $0) })
    var audio: URL?

    @Flag(help: "Label again files that already have labels.") var overwrite = false
    @OptionGroup var tempoRange: TempoRangeOption

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
      try TorchRuntime.setThreadCount(runtime.threads)
      var failed = 0
      var labeler = DatasetLabeler()
      labeler.estimator = try tempoRange.applied(to: labeler.estimator)
      let manifest = try labeler.label(dataset: data, audio: audio, overwrite: overwrite) { index, total, event in
        switch event {
        case .labelled(let source, let tempo, let density):
          let bpm = tempo.map { String(format: "%.1f BPM", $0) } ?? "no steady pulse"
          report("[\(index)/\(total)] \(source): \(bpm), \(String(format: "%.2f", density)) onsets/s")
        case .skipped(let source):
          report("[\(index)/\(total)] \(source): already labelled")
        case .failed(let source, let reason):
          failed += 1
          report("[\(index)/\(total)] \(source): failed: \(reason)")
        }
      }
      let tempi = manifest.entries.compactMap { $0.labels[Conditioning.tempoLabel] }
      print("\(tempi.count) of \(manifest.entries.count) files have a tempo, \(failed) failed; "
        + "labels in \(data.appendingPathComponent(DatasetManifest.fileName).path)")
    }
  }
}
