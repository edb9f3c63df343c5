import ArgumentParser
import Foundation
import Musika
import Torch

extension MusikaCommand.Codec {
  struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Measure a codec's reconstruction quality and speed on a folder of audio.",
      discussion: """
        For each file (at most --seconds from its middle): encode and decode through both levels, then \
        the log-mel L1 distance (128 mel bands, log10 power) and the multi-resolution STFT distance to \
        the input, lower is better; encode and decode real-time factors; and a reference row, the \
        input's true STFT magnitude with 32 Griffin-Lim iterations of phase estimation, so the numbers \
        can be read. Two diagnostic columns say where the loss is: the codec's magnitude with \
        Griffin-Lim phase instead of its own (the phase head's share), and level 1 alone, ENC → DEC \
        (what level 2's compression adds). The last row is the duration-weighted mean.

        Then the mid-bin pitch probe (MidBinPitchProbe): eight plucked tones from 200 Hz up, each \
        exactly between two STFT bins, through both levels and through level 1 alone; the pitch error \
        of each in cents and the level change. Log-mel L1 cannot see a tone pulled to a bin centre. \
        A third line decodes the probe with the other phase source (--phase-from): what error remains \
        with the phase integrated from the magnitude is the magnitude's own. \
        Without --audio, only the probe runs (a few seconds: handy on each checkpoint of a training run).
        """
    )

    @OptionGroup var codec: CodecOptions

    @Option(help: "Folder of audio files to evaluate on (without it, only the pitch probe runs).",
            transform: { URL(fileURLWithPath: $0) })
    var audio: URL?

    @Option(help: "Seconds evaluated per file, from its middle.")
    var seconds: Double = 30

    @Option(help: ArgumentHelp("Also write each file's input excerpt, both-level, level-1-only and Griffin-Lim-phase decodings here (float WAV).",
                               valueName: "dir"), transform: { URL(fileURLWithPath: $0) })
    var writeAudio: URL?

    @Option(help: ArgumentHelp("Precision of the decoders: fp32 (default), bf16, or auto (what generation picks on this CPU).",
                               discussion: "Encoders stay fp32. Evaluating once with fp32 and once with bf16 measures what "
                                 + "bf16 decoding costs on real music."))
    var precision: DecoderPrecision = .fp32

    @Option(name: .customLong("phase-from"),
            help: ArgumentHelp("Where decoding takes the phase from: decoder (DEC's phase head) or magnitude (integrated from DEC's magnitude). Default: the codec's own setting.",
                               valueName: "source"))
    var phaseSource: PhaseSource?
    @OptionGroup var phaseIterations: PhaseIterationsOption

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        if audio == nil, writeAudio != nil {
        throw ValidationError("--write-audio needs --audio: the folder whose files it writes decodings of.")
      }
    }

    func run() throws {
      try TorchRuntime.setThreadCount(runtime.threads)
      let model = try codec.load()
      try model.setDecoderPrecision(precision.dtype())
      if precision != .fp32 { report("decoders: \(precision.describe())") }
      if let phaseSource { model.phaseSource = phaseSource }
      phaseIterations.apply(to: model)
      report("phase from: \(model.phaseSource.describe(iterations: model.phaseIterations))")
      if let audio {
        let rows = try CodecEvaluator(codec: model, maxSeconds: seconds, audioOutput: writeAudio).evaluate(folder: audio) { report("  \($0)") }
        guard !rows.isEmpty else { throw ValidationError("no file in \(audio.path) could be evaluated") }
        print(CodecEvaluator.table(rows, codecName: model.config.name))
      }
      let probe = MidBinPitchProbe(codec: model)
      print("mid-bin pitch probe, " + probe.frequencies.map { String(format: "%.0f", $0) }.joined(separator: " ") + " Hz:")
      print("  both levels:  " + (try probe.measure(model)).summary)
      print("  level 1 only: " + (try probe.measure(model, level1Only: true)).summary)
      // The other phase source too: with the phase integrated from the magnitude, what error is left
      // is the magnitude's (its peaks pulled towards bin centres); what it removes was the phase's.
      model.phaseSource = model.phaseSource == .decoder ? .magnitude : .decoder
      print("  both levels, phase from \(model.phaseSource.describe(iterations: model.phaseIterations)): "
        + (try probe.measure(model)).summary)
    }
  }
}
