import ArgumentParser
import Musika

/// `--phase-iterations`, shared by the commands that decode (and by `codec calibrate`, which stores it).
struct PhaseIterationsOption: ParsableArguments {
  @Option(name: .customLong("phase-iterations"),
          help: ArgumentHelp("Fast Griffin-Lim iterations on the phase integrated from the magnitude (default: the codec's setting; 0: none).",
                             discussion: "Each makes the decoded frames agree better with each other (the integration alone "
                               + "estimates each frame from its neighbours' magnitudes), at the cost of an inverse and a forward "
                               + "STFT. Applies with the phase from the magnitude only. `codec calibrate` measures through it "
                               + "and stores it in the codec's config with the equalisation.",
                             valueName: "n"))
  var value: Int?

  func validate() throws {
    guard let value else { return }
    guard (0...CodecConfig.maximumPhaseIterations).contains(value) else {
      throw ValidationError("--phase-iterations must be between 0 and \(CodecConfig.maximumPhaseIterations) (got \(value)); 0 decodes with the integrated phase alone.")
    }
  }

  /// Overrides `codec`'s own setting for this run, when given.
  func apply(to codec: SpectralCodec) {
    if let value { codec.phaseIterations = value }
  }
}
