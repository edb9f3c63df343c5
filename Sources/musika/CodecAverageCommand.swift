import ArgumentParser
import Foundation
import Musika
import Torch

extension MusikaCommand.Codec {
  struct Average: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Average the decoders of several checkpoints of one decoders' stage into one codec.",
      discussion: """
        At a constant learning rate the last checkpoints of a training run wander around the minimum, and \
        what they decode wanders with them; their mean is steadier (Polyak averaging). Give two or more \
        codec or checkpoint folders of one decoders' stage (the milestones checkpoints/step-N of a run past \
        its level-2 steps, or of `codec train --decoders-from`): their encoders are frozen there, so all \
        encode to the same latents, and so does the average, which keeps the first one's name. Folders whose \
        encoders differ are refused. OUT gets the codec (float32, atomically) without output equalisation: \
        run `musika codec calibrate` on it, then `musika export`.
        """
    )

    @Argument(help: "Codec or checkpoint folders to average (two or more).", transform: { URL(fileURLWithPath: $0) })
    var codecs: [URL]

    @Option(help: "Output codec folder.", transform: { URL(fileURLWithPath: $0) })
    var out: URL

    func validate() throws {
      guard codecs.count >= 2 else { throw ValidationError("give at least two codec or checkpoint folders to average (got \(codecs.count)).") }
      let inputs = codecs.map { $0.resolvingSymlinksInPath().standardizedFileURL.path }
      guard Set(inputs).count == inputs.count else {
        throw ValidationError("a folder is given twice: each checkpoint counts once in the mean.")
      }
      // The output folder is written whole (atomically): an existing one, a run's folder say, would be replaced.
      if FileManager.default.fileExists(atPath: out.path) {
        throw ValidationError("--out \(out.path) already exists: write the average to a new folder.")
      }
      let output = out.resolvingSymlinksInPath().standardizedFileURL.path
      if let inside = inputs.first(where: { $0.hasPrefix(output + "/") }) {
        throw ValidationError("--out \(out.path) would hold the input \(inside): write the average to a new folder.")
      }
    }

    func run() throws {
      let loaded = try codecs.map { folder in
        do { return try SpectralCodec.load(from: folder) } catch { throw ValidationError("\(folder.path): \(error)") }
      }
      let average = try DecoderAveraging.average(loaded, names: codecs.map(\.path))
      try average.save(to: out)
      print("averaged \(codecs.count) checkpoints of codec '\(average.config.name)' into \(out.path) "
        + "(no equalisation: run `musika codec calibrate --codec \(out.path) --audio …` on training music next)")
    }
  }
}
