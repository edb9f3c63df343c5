import ArgumentParser
import Musika

/// `--phase-iterations`, shared by the commands that decode.
enum PhaseIterationsOption {
  static func check(_ value: Int?) throws {
    guard let value else { return }
    guard (0...CodecConfig.maximumPhaseIterations).contains(value) else {
      throw ValidationError("--phase-iterations must be between 0 and \(CodecConfig.maximumPhaseIterations) (got \(value)); 0 decodes with the integrated phase alone.")
    }
  }
}
