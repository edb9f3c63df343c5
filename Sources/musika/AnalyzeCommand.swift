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
        for checking the labeller against known onsets. A FILE ending in .safetensors (a latent file of \
        `musika encode`) gets its period-2 power ratio instead: the energy at a period of exactly two \
        latent vectors relative to the mean of all frequencies (white noise ≈ 1). --model DIR prints the \
        same for latents that model generates (--seconds long, seeds 0 to --seeds − 1), to compare a \
        generator with the real latents it learned from, and the level of its audio within one latent \
        vector of each generator-window boundary against elsewhere (dB; a dip is negative), the squared \
        latent step across each window seam over the step between neighbours inside windows (≈ 1 when \
        windows join as smoothly as they flow), and its \
        pulse at the latent-vector rate: the autocorrelation of the onset strength at a lag of one \
        vector (a generator that places one event per vector scores near 1; the tempo estimator then \
        reads 2 vectors per beat), and the jump of DEC2's output at latent-vector boundaries: the \
        frame-to-frame change into each vector's first level-1 frame over the change elsewhere (1 when \
        boundaries do not show). With --model, audio FILEs get that pulse too (e.g. real music decoded \
        by `musika decode`, for reference), the level at every window length from the start against \
        elsewhere (real music has no boundaries there: how far the measure strays by chance), and latent \
        FILEs the boundary jump through the model's codec. The window-boundary level averages over the \
        boundaries within --seconds (one per generator window, 23.8 s for our presets): 60 s hold one or \
        two, so use --seconds 240 or more for a figure to compare with a 1 dB target.
        """
    )

    @Argument(help: "Audio files, or latent files (.safetensors from `musika encode`).") var files: [String] = []
    @Option(help: "Also measure the latents this model generates.") var model: String?
    @Option(help: "Seconds of generated latents per seed (with --model).") var seconds: Double = 60
    @Option(help: "Seeds to generate (with --model).") var seeds: Int = 4
    @Flag(help: "One JSON object per file: file, tempo, onsets (seconds), duration.") var json = false
    @OptionGroup var tempoRange: TempoRangeOption
    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
      guard !files.isEmpty || model != nil else {
        throw ValidationError("give audio or latent files, or --model DIR (see --help)")
      }
      guard seconds > 0, seconds <= 86_400 else { throw ValidationError("--seconds must be in (0, 86400] (got \(seconds))") }
      guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1 (got \(seeds))") }
    }

    func run() throws {
      try TorchRuntime.setThreadCount(runtime.threads)
      var labeler = DatasetLabeler()
      labeler.estimator = try tempoRange.applied(to: labeler.estimator)
      var ratios: [Double] = []
      var pairings: [Double] = []
      var jumps: [Double] = []
      let loadedModel = try model.map { try GANModel.load(from: URL(fileURLWithPath: $0)) }
      try loadedModel?.packForGeneration()
      for file in files where file.hasSuffix(".safetensors") {
        guard let latents = try Safetensors.read(URL(fileURLWithPath: file)).tensors["latents"] else {  // (channels, vectors)
          throw ValidationError("\(file): no 'latents' tensor; give a latent file written by `musika encode`")
        }
        let ratio = LatentPeriodicity.period2Ratio(latents)
        ratios.append(ratio)
        let pairing = LatentPeriodicity.pairingRatio(latents)
        pairings.append(pairing)
        var line = String(format: "%@: %d vectors, period-2 power ratio %.3f, pairing ratio %.3f", file, latents.size(1), ratio, pairing)
        if let codec = loadedModel?.codec, latents.rank == 2, latents.size(0) == 2 * codec.config.vectorChannels,
           latents.size(1) >= 4 {
          let jump = try VectorBoundaryJump.ratio(latents: latents.to(dtype: .float32), codec: codec)
          jumps.append(jump)
          line += String(format: ", DEC2 jump at vector boundaries %.3f", jump)
        }
        print(line)
      }
      if ratios.count > 1 {
        print(String(format: "real latents (%d files): mean period-2 power ratio %.3f, mean pairing ratio %.3f", ratios.count,
                     mean(ratios), mean(pairings))
              + (jumps.isEmpty ? "" : String(format: ", mean DEC2 jump at vector boundaries %.3f", mean(jumps))))
      }
      if let model, let loaded = loadedModel {
        let vectors = max(2, Int(seconds / loaded.secondsPerVector))
        var generated: [Double] = []
        var generatedPairings: [Double] = []
        var boundaryLevels: [WindowBoundaryLevel.Powers] = []
        var pulses: [Double] = []
        var generatedJumps: [Double] = []
        var edgeProfiles: [[Double]] = []
        var seamSteps: [Double] = []
        let (window, radius) = Self.windowSamples(loaded, sampleRate: loaded.sampleRate)
        var boundariesPerSeed = 0
        for seed in 0..<max(1, seeds) {
          let controls = try Controls(seed: UInt64(seed)).resolved(for: loaded.config)
          let stream = try MusicStream(model: loaded, controls: controls, chunkVectors: MusicStream.renderingChunkVectors)
          let latents = try stream.latentSequence(0..<vectors)  // the stream keeps these windows for its audio
          generated.append(LatentPeriodicity.period2Ratio(latents))
          generatedPairings.append(LatentPeriodicity.pairingRatio(latents))
          if vectors >= 4 { generatedJumps.append(try VectorBoundaryJump.ratio(latents: latents, codec: loaded.codec)) }
          edgeProfiles.append(WindowEdgePower.profile(latents, window: loaded.config.gan.windowVectors))
          if let step = WindowEdgePower.seamStep(latents, window: loaded.config.gan.windowVectors) { seamSteps.append(step) }
          let audio = try stream.render(seconds: seconds)
          if let level = WindowBoundaryLevel.powers(audio, period: window, radius: radius) {
            boundaryLevels.append(level)
            boundariesPerSeed = audio.size(1) / window - 1
          }
          pulses.append(try VectorPulse.correlation(audio, sampleRate: loaded.sampleRate, vectorSeconds: loaded.secondsPerVector))
        }
        print(String(format: "%@ generated (%d seeds × %d vectors): period-2 power ratio %.3f (per seed %@)", model,
                     generated.count, vectors, mean(generated),
                     generated.map { String(format: "%.3f", $0) }.joined(separator: ", ")))
        print(String(format: "%@ generated: pairing ratio %.3f (per seed %@)", model,
                     mean(generatedPairings),
                     generatedPairings.map { String(format: "%.3f", $0) }.joined(separator: ", ")))
        let profile = edgeProfiles.filter { !$0.isEmpty }
        if !profile.isEmpty {
          let average = (0..<profile[0].count).map { i in mean(profile.map { $0[i] }) }
          let ends = Array(average.prefix(6)) + Array(average.suffix(6))
          print(String(format: "%@ latent power at a window's first / last vector vs its interior: %.2f / %.2f "
                         + "(within 6 vectors of an end: %.2f to %.2f)", model, average.first!, average.last!,
                       ends.min()!, ends.max()!))
        }
        if !seamSteps.isEmpty {
          print(String(format: "%@ latent step across a window seam vs inside windows (squared; smooth ≈ 1): %.2f (per seed %@)",
                       model, mean(seamSteps), seamSteps.map { String(format: "%.2f", $0) }.joined(separator: ", ")))
        }
        let windowSeconds = Double(window) / Double(loaded.sampleRate)
        if boundaryLevels.isEmpty {
          print(String(format: "%@ level at generator-window boundaries: not measured (needs --seconds ≥ %.1f, two windows)",
                       model, 2 * windowSeconds))
        } else {
          print(String(format: "%@ level within a vector of a generator-window boundary (every %.1f s, %d per seed) vs elsewhere: "
                         + "%+.2f dB over all seeds' audio (mean of the seeds' figures %+.2f dB; per seed %@)",
                       model, windowSeconds, boundariesPerSeed, WindowBoundaryLevel.pooledDecibels(boundaryLevels)!,
                       mean(boundaryLevels.map(\.decibels)),
                       boundaryLevels.map { String(format: "%+.2f", $0.decibels) }.joined(separator: ", ")))
        }
        print(String(format: "%@ pulse at the latent-vector rate (onset-strength autocorrelation at one vector, %.3f s): %.3f (per seed %@)",
                     model, loaded.secondsPerVector, mean(pulses),
                     pulses.map { String(format: "%.3f", $0) }.joined(separator: ", ")))
        if !generatedJumps.isEmpty {
          print(String(format: "%@ DEC2 jump at latent-vector boundaries (change into a vector's first frame vs elsewhere; real ≈ 1): %.3f (per seed %@)",
                       model, mean(generatedJumps),
                       generatedJumps.map { String(format: "%.3f", $0) }.joined(separator: ", ")))
        }
      }
      let vectorSeconds = loadedModel?.secondsPerVector
      var chanceLevels: [WindowBoundaryLevel.Powers] = []
      var filePulses: [Double] = []
      for file in files where !file.hasSuffix(".safetensors") {
        let audio = try AudioFile.read(URL(fileURLWithPath: file), sampleRate: DatasetLabeler.analysisRate)
        let strength = try labeler.detector.strength(audio.samples)
        let (tempo, onsets) = labeler.analyze(strength: strength)
        if json {
          let object: [String: Any] = ["file": file, "tempo": tempo ?? NSNull(), "duration": audio.duration,
                                       "onsets": onsets.map { ($0 * 1000).rounded() / 1000 }]
          print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
          let bpm = tempo.map { String(format: "%.1f BPM", $0) } ?? "no steady pulse"
          let pulse = try vectorSeconds.map { seconds in
            let value = try VectorPulse.correlation(envelope: strength, framesPerSecond: labeler.detector.framesPerSecond,
                                                    vectorSeconds: seconds)
            filePulses.append(value)
            return String(format: ", pulse at the latent-vector rate %.3f", value)
          } ?? ""
          // Real music at the generator's window length: no boundary there, so this is the measure's chance spread.
          var level = ""
          if let loaded = loadedModel {
            let (period, radius) = Self.windowSamples(loaded, sampleRate: DatasetLabeler.analysisRate)
            if let powers = WindowBoundaryLevel.powers(audio.samples, period: period, radius: radius) {
              chanceLevels.append(powers)
              level = String(format: ", level at every window length vs elsewhere %+.2f dB", powers.decibels)
            }
          }
          print(String(format: "%@: %@, %d onsets (%.2f per second)%@%@", file, bpm, onsets.count,
                       Double(onsets.count) / max(audio.duration, 1e-9), pulse, level))
        }
      }
      if filePulses.count > 1 {
        print(String(format: "audio files (%d): pulse at the latent-vector rate %.3f mean (%.3f to %.3f)", filePulses.count,
                     mean(filePulses), filePulses.min()!, filePulses.max()!))
      }
      if chanceLevels.count > 1 {
        let levels = chanceLevels.map(\.decibels)
        let center = mean(levels)
        let spread = (levels.map { ($0 - center) * ($0 - center) }.reduce(0, +) / Double(levels.count - 1)).squareRoot()
        print(String(format: "audio files (%d): level at every window length vs elsewhere %+.2f dB over all files' audio, "
                       + "%+.2f dB mean of the files' figures, %.2f dB standard deviation "
                       + "(no boundaries there: the chance spread of the window-boundary level)", chanceLevels.count,
                     WindowBoundaryLevel.pooledDecibels(chanceLevels)!, center, spread))
      }
    }

    /// A generator window and one latent vector, in samples at `sampleRate`: the period and radius of
    /// `WindowBoundaryLevel` for generated audio (the model's rate) and for audio files (the analysis rate).
    private static func windowSamples(_ model: GANModel, sampleRate: Int) -> (period: Int, radius: Int) {
      let vector = model.secondsPerVector * Double(sampleRate)
      return (Int((Double(model.config.gan.windowVectors) * vector).rounded()), Int(vector.rounded()))
    }
  }
}

private func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
