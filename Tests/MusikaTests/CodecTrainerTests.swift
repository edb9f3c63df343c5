import Audio
import Foundation
import Testing
import Torch

@testable import Musika

@Suite("Codec training", .serialized)
struct CodecTrainerTests {
  /// Two seconds of chords with a little noise, in two files.
  static func makeCorpus() throws -> (AudioCorpus, URL) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("musika-train-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let rate = 44_100
    let g = Generator(seed: 1)
    for k in 0..<2 {
      let t = Tensor.arange(0, Double(2 * rate), dtype: .float64) / Double(rate)
      var left = Tensor.zeros([2 * rate], dtype: .float64)
      for f in [220.0, 277.0, 330.0] { left = left + (t * (2 * Double.pi * f * Double(k + 1))).sin() * 0.2 }
      let noise = Tensor.randn([2, 2 * rate], generator: g, dtype: .float64) * 0.01
      let stereo = Tensor.stack([left, left * 0.8], dim: 0) + noise
      try AudioFile.write(stereo.to(dtype: .float32), sampleRate: rate, to: folder.appendingPathComponent("c\(k).wav"))
    }
    return (try AudioCorpus(folder: folder, sampleRate: rate, minimumSamples: 10_000), folder)
  }

  static func options(level1: Int, level2: Int) -> CodecTrainingOptions {
    var o = CodecTrainingOptions()
    o.level1Steps = level1
    o.level2Steps = level2
    o.batchSize = 2
    o.level1Frames = 16
    o.level2Vectors = 2
    o.adversarialStart = 3
    o.discriminatorWidth = 4
    o.learningRate = 1e-3
    o.discriminatorLearningRate = 1e-3
    o.checkpointEvery = 1000
    o.sampleEvery = 1000
    return o
  }

  static let config = CodecConfig.musika44k.scaled(by: 1.0 / 16, name: "micro")

  /// `codec train --sample-rate` makes a codec at that rate; the checkpoint keeps it on resume, where
  /// `--adversarial-start` may change; a rate out of range is refused with a fix.
  @Test func commandTrainsAtTheAskedSampleRateAndResumes() throws {
    let (_, folder) = try Self.makeCorpus()
    defer { try? FileManager.default.removeItem(at: folder) }
    let run = folder.appendingPathComponent("run")
    let common = ["--batch", "2", "--threads", "1", "--sample-every", "100"]
    let first = try runMusika(["codec", "train", "--audio", folder.path, "--out", run.path, "--config", "micro",
                               "--sample-rate", "22050", "--level1-steps", "2", "--level2-steps", "1"] + common)
    #expect(first.status == 0, "\(first.stderr)")
    #expect(try SpectralCodec.load(from: run.appendingPathComponent("codec")).config.sampleRate == 22_050)
    let more = try runMusika(["codec", "train", "--audio", folder.path, "--out", run.path, "--level1-steps", "3",
                              "--level2-steps", "1", "--adversarial-start", "2"] + common)
    #expect(more.status == 0, "\(more.stderr)")
    #expect(more.stderr.contains("resuming at step 3 of 4"))
    let state = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("checkpoints/latest/trainer.json"))) as? [String: Any]
    #expect((state?["options"] as? [String: Any])?["adversarialStart"] as? Int == 2)
    #expect(try SpectralCodec.load(from: run.appendingPathComponent("codec")).config.sampleRate == 22_050)
    let bad = try runMusika(["codec", "train", "--audio", folder.path, "--out", run.path, "--sample-rate", "5"])
    #expect(bad.status != 0 && bad.stderr.contains("--sample-rate must be between 8000 and 96000"))

    // A wider level 2 with larger vectors (less compression) on the trained level 1, which it keeps as it was.
    let wider = folder.appendingPathComponent("wider")
    let second = try runMusika(["codec", "train", "--audio", folder.path, "--out", wider.path, "--level1-from",
                                run.appendingPathComponent("codec").path, "--level2-scale", "0.125", "--vector-channels", "128",
                                "--level2-steps", "2"] + common)
    #expect(second.status == 0, "\(second.stderr)")
    #expect(second.stderr.contains("training level 2 only"))
    let base = try SpectralCodec.load(from: run.appendingPathComponent("codec"))
    let grown = try SpectralCodec.load(from: wider.appendingPathComponent("codec"))
    #expect(grown.config.sampleRate == 22_050 && grown.config.latentEncoderWidths == [32, 48, 64, 96])
    #expect(base.config.vectorChannels == 64 && grown.config.vectorChannels == 128)
    let excerpt = Tensor.randn([2, grown.sampleCount(vectors: 3)], generator: Generator(seed: 1), std: 0.1)
    let latents = try grown.encode(excerpt)
    #expect(latents.shape == [256, 3])
    #expect(try grown.decode(latents, seed: 0).size(0) == 2)
    let changed = try runMusika(["codec", "train", "--audio", folder.path, "--out", wider.path, "--vector-channels", "64",
                                 "--level2-steps", "3"] + common)
    #expect(changed.status != 0 && changed.stderr.contains("its checkpoint fixes"), "\(changed.stderr)")
    let zero = try runMusika(["codec", "train", "--audio", folder.path, "--out", run.path, "--vector-channels", "0"])
    #expect(zero.status != 0 && zero.stderr.contains("--vector-channels must be between 1 and 1024"))
    let before = base.stateDict(), after = grown.stateDict()
    for (key, value) in before where key.hasPrefix("encoder.") || key.hasPrefix("decoder.") {
      #expect(identical(value, after[key]!), "\(key) changed")
    }
    let again = try runMusika(["codec", "train", "--audio", folder.path, "--out", wider.path, "--level1-from",
                               run.appendingPathComponent("codec").path])
    #expect(again.status != 0 && again.stderr.contains("already holds a run"))

    // A wider level-1 latent from the trained codec (--init-from --latent-channels): every stage trains again.
    let widened = folder.appendingPathComponent("widened")
    let third = try runMusika(["codec", "train", "--audio", folder.path, "--out", widened.path, "--init-from",
                               run.appendingPathComponent("codec").path, "--latent-channels", "\(2 * base.config.latentChannels)",
                               "--vector-channels", "\(2 * base.config.vectorChannels)", "--level2-scale", "0.25",
                               "--level1-steps", "1", "--level2-steps", "1"] + common)
    #expect(third.status == 0, "\(third.stderr)")
    let wide = try SpectralCodec.load(from: widened.appendingPathComponent("codec"))
    #expect(wide.config.latentEncoderWidths == [64, 96, 128, 192] && wide.config.name.contains("-l2x0.25"), "\(wide.config)")
    #expect(wide.config.latentChannels == 2 * base.config.latentChannels && wide.config.name.contains("-l\(2 * base.config.latentChannels)"))
    #expect(try wide.encode(excerpt).shape == [4 * base.config.vectorChannels, 3])
    let narrower = try runMusika(["codec", "train", "--audio", folder.path, "--out", folder.appendingPathComponent("narrow").path,
                                  "--init-from", run.appendingPathComponent("codec").path, "--latent-channels", "8"] + common)
    #expect(narrower.status != 0 && narrower.stderr.contains("can only be widened"), "\(narrower.stderr)")
    let unused = try runMusika(["codec", "train", "--audio", folder.path, "--out", folder.appendingPathComponent("unused").path,
                                "--init-from", run.appendingPathComponent("codec").path, "--latent-channels", "128",
                                "--level1-steps", "0"] + common)
    #expect(unused.status != 0 && unused.stderr.contains("needs --level1-steps above 0"), "\(unused.stderr)")
    #expect(wide.config.name.hasSuffix("-l\(2 * base.config.latentChannels)-v\(2 * base.config.vectorChannels)"), "\(wide.config.name)")
    let level2Only = try runMusika(["codec", "train", "--audio", folder.path, "--out", folder.appendingPathComponent("l2").path,
                                    "--level1-from", run.appendingPathComponent("codec").path, "--latent-channels", "128"] + common)
    #expect(level2Only.status != 0 && level2Only.stderr.contains("start from it with --init-from"), "\(level2Only.stderr)")
  }

  /// Stage 3 (`codec train --decoders-from`) trains DEC2 and DEC of a trained codec and leaves its encoders
  /// as they were: the new codec encodes to the same latents bit for bit and decodes them differently; the
  /// same command resumes a stopped run to exactly the state of an uninterrupted one; options that would
  /// change the encoders, or a run that trains them, are refused with the reason.
  @Test func decoderStageKeepsTheLatentsAndResumesExactly() throws {
    let (_, folder) = try Self.makeCorpus()
    let runs = FileManager.default.temporaryDirectory.appendingPathComponent("musika-decoders-\(UUID())")
    defer {
      try? FileManager.default.removeItem(at: folder)
      try? FileManager.default.removeItem(at: runs)
    }
    let common = ["--audio", folder.path, "--batch", "2", "--threads", "1", "--sample-every", "100"]
    let base = runs.appendingPathComponent("base")
    let trained = try runMusika(["codec", "train", "--out", base.path, "--config", "micro", "--level1-steps", "2",
                                 "--level2-steps", "2"] + common)
    #expect(trained.status == 0, "\(trained.stderr)")
    let codecFolder = base.appendingPathComponent("codec").path
    func decoders(_ out: URL, _ extra: [String] = []) throws -> (status: Int32, stderr: String) {
      let r = try runMusika(["codec", "train", "--out", out.path, "--decoders-from", codecFolder, "--decoder-steps", "4"]
                              + common + extra)
      return (r.status, r.stderr)
    }
    let straight = runs.appendingPathComponent("straight")
    let s = try decoders(straight)
    #expect(s.status == 0 && s.stderr.contains("encoders frozen"), "\(s.stderr)")
    let stopped = runs.appendingPathComponent("stopped")
    #expect(try decoders(stopped, ["--stop-after", "2"]).status == 0)
    let resumed = try decoders(stopped)
    #expect(resumed.status == 0 && resumed.stderr.contains("resuming at step 2 of 4"), "\(resumed.stderr)")

    let original = try SpectralCodec.load(from: URL(fileURLWithPath: codecFolder))
    let tuned = try SpectralCodec.load(from: straight.appendingPathComponent("codec"))
    let again = try SpectralCodec.load(from: stopped.appendingPathComponent("codec"))
    for ((name, x), (_, y)) in zip(tuned.namedParameters(), again.namedParameters()) {
      #expect(identical(x, y), "\(name) differs after the stop and resume: \(difference(x, y))")
    }
    let before = original.stateDict(), after = tuned.stateDict()
    for (key, value) in before where key.hasPrefix("encoder.") || key.hasPrefix("latentEncoder.") {
      #expect(identical(value, after[key]!), "\(key) changed")
    }
    #expect(!identical(before["decoder.mag.weight"]!, after["decoder.mag.weight"]!), "DEC did not train")
    #expect(before.keys.contains { $0.hasPrefix("latentDecoder.") && !identical(before[$0]!, after[$0]!) }, "DEC2 did not train")
    let excerpt = Tensor.randn([2, original.sampleCount(vectors: 3)], generator: Generator(seed: 2), std: 0.1)
    let latents = try original.encode(excerpt)
    #expect(identical(latents, try tuned.encode(excerpt)))
    #expect(!identical(try original.decode(latents, seed: 0), try tuned.decode(latents, seed: 0)))

    let refused = try decoders(runs.appendingPathComponent("wider"), ["--vector-channels", "128"])
    #expect(refused.status != 0 && refused.stderr.contains("--vector-channels cannot change the codec given by --decoders-from"),
            "\(refused.stderr)")
    let wrongRun = try runMusika(["codec", "train", "--out", base.path, "--decoders-from", codecFolder] + common)
    #expect(wrongRun.status != 0 && wrongRun.stderr.contains("not one started with --decoders-from"), "\(wrongRun.stderr)")
    // Resumed without --decoders-from, it cannot be made to train level 2 (its encoders) after all.
    let backwards = try runMusika(["codec", "train", "--out", straight.path, "--level2-steps", "5", "--decoder-steps", "6"] + common)
    #expect(backwards.status != 0 && backwards.stderr.contains("would go back to stage 2"), "\(backwards.stderr)")
    let zero = try decoders(runs.appendingPathComponent("zero"), ["--decoder-steps", "0"])
    #expect(zero.status != 0 && zero.stderr.contains("at least 1 with --decoders-from"), "\(zero.stderr)")
    // --init-from: the whole codec trained again, under a new name (its latents change).
    let anew = runs.appendingPathComponent("anew")
    let initArguments = ["codec", "train", "--out", anew.path, "--init-from", codecFolder, "--level1-steps", "2",
                         "--level2-steps", "1", "--stft-weight", "0"] + common
    let retrained = try runMusika(initArguments)
    #expect(retrained.status == 0 && retrained.stderr.contains("all weights from"), "\(retrained.stderr)")
    #expect(try SpectralCodec.load(from: anew.appendingPathComponent("codec")).config.name == "micro-retrained")
    let twice = try runMusika(initArguments)
    #expect(twice.status != 0 && twice.stderr.contains("already holds a run"), "\(twice.stderr)")
    let refusals: [([String], String)] = [(["--level2-scale", "0.01"], "can only be widened"),
                                          (["--level2-scale", "0.125", "--level2-steps", "0"], "needs --level2-steps above 0"),
                                          (["--floor-db", "90"], "--floor-db cannot change the codec given by --init-from"),
                                          (["--vector-channels", "32"], "can only be widened"),
                                          (["--decoders-from", codecFolder], "both name a codec"),
                                          (["--stft-weight=-1"], "--stft-weight must be 0 or more")]
    for (extra, message) in refusals {
      let r = try runMusika(["codec", "train", "--out", runs.appendingPathComponent("x").path, "--init-from", codecFolder]
                              + extra + common)
      #expect(r.status != 0 && r.stderr.contains(message), "\(extra): \(r.stderr)")
    }
    // The same name as the codec it came from: it encodes to the same latents.
    #expect(tuned.config.name == original.config.name)

  }

  /// `codec average` takes the mean of the decoders of one decoders' stage's checkpoints: the encoders stay
  /// bit for bit (the same latents), the name stays, a calibrated input's equalisation is dropped; other
  /// encoders, the same weights twice, one folder, and an existing output folder are refused.
  @Test func averagedDecodersKeepTheLatents() throws {
    let (_, folder) = try Self.makeCorpus()
    let runs = FileManager.default.temporaryDirectory.appendingPathComponent("musika-average-\(UUID())")
    defer {
      try? FileManager.default.removeItem(at: folder)
      try? FileManager.default.removeItem(at: runs)
    }
    let common = ["--audio", folder.path, "--batch", "2", "--threads", "1", "--sample-every", "100"]
    func train(_ name: String, _ extra: [String]) throws -> URL {
      let out = runs.appendingPathComponent(name)
      let r = try runMusika(["codec", "train", "--out", out.path] + extra + common)
      #expect(r.status == 0, "\(r.stderr)")
      return out
    }
    let base = try train("base", ["--config", "micro", "--level1-steps", "2", "--level2-steps", "2"])
    let other = try train("other", ["--config", "micro", "--level1-steps", "2", "--level2-steps", "2", "--seed", "5"])
    let stage = try train("stage", ["--decoders-from", base.appendingPathComponent("codec").path, "--decoder-steps", "4",
                                    "--checkpoint-every", "2", "--milestone-every", "2"])
    let milestone = stage.appendingPathComponent("checkpoints/step-0000002"), last = stage.appendingPathComponent("codec")
    // A calibrated copy of the last: its equalisation is a decoding setting, not part of what is averaged.
    let calibrated = runs.appendingPathComponent("calibrated")
    try FileManager.default.copyItem(at: last, to: calibrated)
    let tuned = try SpectralCodec.load(from: calibrated)
    try tuned.setEqualization([Double](repeating: 1, count: tuned.config.bins))
    try tuned.writeConfig(into: calibrated)

    let out = runs.appendingPathComponent("averaged")
    let averaging = try runMusika(["codec", "average", milestone.path, calibrated.path, "--out", out.path])
    #expect(averaging.status == 0, "\(averaging.stderr)")
    let (first, second, averaged) = (try SpectralCodec.load(from: milestone), tuned, try SpectralCodec.load(from: out))
    let (a, b, mean) = (first.stateDict(), second.stateDict(), averaged.stateDict())
    for (key, value) in a {
      let expected = (value.to(dtype: .float64) + b[key]!.to(dtype: .float64)) / 2
      #expect((mean[key]!.to(dtype: .float64) - expected).abs().amax().item() <= 1e-6, "\(key) is not the mean")
    }
    #expect(!identical(mean["decoder.mag.weight"]!, b["decoder.mag.weight"]!), "the two inputs did not differ")
    let excerpt = Tensor.randn([2, first.sampleCount(vectors: 3)], generator: Generator(seed: 2), std: 0.1)
    #expect(identical(try first.encode(excerpt), try averaged.encode(excerpt)), "the average encodes otherwise")
    #expect(averaged.config.name == first.config.name && averaged.config.equalizationDb == nil)

    let refusals: [([String], String)] = [
      ([base.appendingPathComponent("codec").path, other.appendingPathComponent("codec").path], "encodes otherwise"),
      ([last.path, stage.appendingPathComponent("checkpoints/latest").path], "hold the same weights"),
      ([last.path], "at least two"),
      ([milestone.path, last.path, milestone.path], "given twice"),
    ]
    for (inputs, message) in refusals {
      let r = try runMusika(["codec", "average"] + inputs + ["--out", runs.appendingPathComponent("refused").path])
      #expect(r.status != 0 && r.stderr.contains(message), "\(inputs): \(r.stderr)")
    }
    let existing = try runMusika(["codec", "average", milestone.path, last.path, "--out", stage.path])
    #expect(existing.status != 0 && existing.stderr.contains("already exists"), "\(existing.stderr)")
    #expect(FileManager.default.fileExists(atPath: milestone.path), "a refused average touched the run")
  }

  /// Stage 3 lowers the loss through both levels of a briefly trained codec.
  @Test func decoderStageLowersTheLoss() throws {
    let (corpus, folder) = try Self.makeCorpus()
    defer { try? FileManager.default.removeItem(at: folder) }
    var o = Self.options(level1: 20, level2: 10)
    o.adversarialStart = 1000
    let first = try CodecTrainer(config: Self.config, options: o, corpus: corpus, output: folder.appendingPathComponent("a"))
    for _ in 0..<30 { _ = try first.trainStep() }
    var o3 = Self.options(level1: 0, level2: 0)
    o3.decoderSteps = 40
    let second = try CodecTrainer(config: Self.config, options: o3, corpus: corpus, output: folder.appendingPathComponent("b"))
    try second.adoptCodec(from: first.codec)
    #expect(second.stage == 3)
    var losses: [Double] = []
    for _ in 0..<40 { losses.append(try second.trainStep()["decoders/total"]!) }
    let start = losses.prefix(5).reduce(0, +) / 5
    let end = losses.suffix(5).reduce(0, +) / 5
    #expect(end < 0.9 * start, "stage-3 loss went from \(start) to \(end)")
    // A run that trains level 1 cannot adopt a whole codec.
    let wrong = try CodecTrainer(config: Self.config, options: Self.options(level1: 1, level2: 0), corpus: corpus,
                                 output: folder.appendingPathComponent("c"))
    #expect { try wrong.adoptCodec(from: first.codec) } throws: { "\($0)".contains("decoders only") }
  }

  /// `--init-from`: a new run starts from every weight of a trained codec and trains level 1 further;
  /// with the STFT weight 0 it trains DEC's magnitude path alone (the phase head's weights stay as they
  /// were, no STFT term is computed) and the loss still falls. A codec of another size is refused.
  @Test func startingFromATrainedCodecTrainsItFurtherOnTheMagnitudeAlone() throws {
    let (corpus, folder) = try Self.makeCorpus()
    defer { try? FileManager.default.removeItem(at: folder) }
    var o = Self.options(level1: 30, level2: 0)
    o.adversarialStart = 1000
    let first = try CodecTrainer(config: Self.config, options: o, corpus: corpus, output: folder.appendingPathComponent("a"))
    for _ in 0..<30 { _ = try first.trainStep() }

    var o2 = Self.options(level1: 40, level2: 0)
    o2.adversarialStart = 1000
    o2.stftWeight = 0
    o2.melWeight = 1
    o2.seed = 7
    let second = try CodecTrainer(config: Self.config, options: o2, corpus: corpus, output: folder.appendingPathComponent("b"))
    try second.start(from: first.codec)
    let trained = first.codec.stateDict()
    for (name, tensor) in second.codec.stateDict() {
      #expect(identical(tensor, trained[name]!), "\(name) not taken from the trained codec")
    }
    var losses: [Double] = []
    for _ in 0..<40 {
      let metrics = try second.trainStep()
      #expect(metrics["level1/stft"] == nil)
      losses.append(metrics["level1/magnitude_l1"]!)
    }
    // The magnitude L1 falls (in the first run, with the STFT term, it did not: 0.13 → 0.16 over its 30 steps).
    let start = losses.prefix(3).reduce(0, +) / 3
    let end = losses.suffix(5).reduce(0, +) / 5
    #expect(end < 0.8 * start, "magnitude L1 went from \(start) to \(end)")
    let now = second.codec.stateDict()
    for (name, tensor) in now where ["decoder.p1.", "decoder.p2.", "decoder.phase."].contains(where: { name.hasPrefix($0) }) {
      #expect(identical(tensor, trained[name]!), "\(name): the phase head changed")
    }
    for name in ["encoder.", "decoder.g00.conv.weight", "decoder.mag.weight"] {
      #expect(now.keys.contains { $0.hasPrefix(name) && !identical(now[$0]!, trained[$0]!) }, "\(name) did not train")
    }

    let other = try CodecTrainer(config: CodecConfig.musika44k.scaled(by: 1.0 / 8, name: "other"), options: o2,
                                 corpus: corpus, output: folder.appendingPathComponent("c"))
    #expect { try other.start(from: first.codec) } throws: { "\($0)".contains("another architecture") }
  }

  /// `--init-from` with `--latent-channels`, `--vector-channels` and `--level2-scale`: a codec with wider
  /// latents and a wider ENC2 and DEC2 starts from a trained one's exact output (level 1 and both levels),
  /// its new channels live, and training then uses them.
  @Test func aWiderLatentStartsFromTheTrainedCodecsOutput() throws {
    let (corpus, folder) = try Self.makeCorpus()
    defer { try? FileManager.default.removeItem(at: folder) }
    var o = Self.options(level1: 8, level2: 4)
    o.adversarialStart = 1000
    let first = try CodecTrainer(config: Self.config, options: o, corpus: corpus, output: folder.appendingPathComponent("a"))
    for _ in 0..<12 { _ = try first.trainStep() }
    var wider = Self.config
    wider.latentChannels = 2 * Self.config.latentChannels
    wider.vectorChannels = 2 * Self.config.vectorChannels
    wider.latentEncoderWidths = Self.config.latentEncoderWidths.map { 2 * $0 }  // ENC2 and DEC2 wider too
    wider.latentDecoderWidths = Self.config.latentDecoderWidths.map { 2 * $0 }
    o.seed = 3
    let second = try CodecTrainer(config: wider, options: o, corpus: corpus, output: folder.appendingPathComponent("b"))
    try second.start(from: first.codec)
    let (old, new) = (first.codec, second.codec)
    old.eval(); new.eval()
    let gap = { (a: Tensor, b: Tensor) in (a - b).abs().amax().item() }
    withNoGrad {
      let x = Tensor.uniform([2, Self.config.bins, 64], low: -1, high: 1, generator: Generator(seed: 5))
      let (zOld, zNew) = (old.encoder(x), new.encoder(x))  // (2, latentChannels, 64)
      #expect(zNew.size(1) == wider.latentChannels)
      #expect(gap(zNew.narrow(dim: 1, start: 0, length: Self.config.latentChannels), zOld) <= 1e-6)
      #expect(zNew.narrow(dim: 1, start: Self.config.latentChannels, length: Self.config.latentChannels).abs().amax().item() > 0.01,
              "the new latent channels carry nothing")
      let mOld = old.decoder.magnitude(zOld, noise: NoiseSource(seed: 1))
      let mNew = new.decoder.magnitude(zNew, noise: NoiseSource(seed: 1))
      #expect(gap(mNew, mOld) <= 1e-5, "level 1 decodes otherwise")
      let back = (old.latentDecoder(old.latentEncoder(zOld), noise: NoiseSource(seed: 2)),
                  new.latentDecoder(new.latentEncoder(zNew), noise: NoiseSource(seed: 2)))
      #expect(gap(back.1.narrow(dim: 1, start: 0, length: Self.config.latentChannels), back.0) <= 1e-5,
              "level 2 decodes otherwise")
      #expect(new.latentEncoder(zNew).size(1) == wider.vectorChannels)
    }
    // New output channels of ENC2 and DEC2 keep their fresh weights (rows of a Conv1d, columns of a
    // ConvTranspose1d): were they zero, silu(0) would feed zero weights and neither would ever learn.
    let grown = new.stateDict()
    let encoderRows = grown["latentEncoder.layers.1.conv.weight"]!  // (out, in, k)
    let decoderColumns = grown["latentDecoder.layers.1.conv.weight"]!  // (in, out, k), transposed
    let (e1, d1) = (Self.config.latentEncoderWidths[1], Self.config.latentDecoderWidths[1])
    #expect(encoderRows.narrow(dim: 0, start: e1, length: e1).abs().amax().item() > 0)
    #expect(decoderColumns.narrow(dim: 1, start: d1, length: d1).abs().amax().item() > 0)
    let zeroBlock = { (t: Tensor) in t.narrow(dim: 0, start: 0, length: e1).narrow(dim: 1, start: Self.config.latentEncoderWidths[0],
                                                                                  length: Self.config.latentEncoderWidths[0]) }
    #expect(zeroBlock(encoderRows).abs().amax().item() == 0)
    new.train()
    let before = new.stateDict()["decoder.g0.conv.weight"]!.clone()
    for _ in 0..<3 { #expect(try second.trainStep()["level1/magnitude_l1"]!.isFinite) }
    let after = new.stateDict()["decoder.g0.conv.weight"]!
    let added = { (t: Tensor) in t.narrow(dim: 1, start: Self.config.latentChannels, length: Self.config.latentChannels) }
    #expect(added(before).abs().amax().item() == 0)
    #expect(added(after).abs().amax().item() > 0, "DEC does not learn to read the new channels")
    for _ in 3..<10 { _ = try second.trainStep() }  // into level 2
    #expect(zeroBlock(new.stateDict()["latentEncoder.layers.1.conv.weight"]!).abs().amax().item() > 0,
            "ENC2 does not learn to read its new channels")
    var narrower = Self.config
    narrower.latentChannels = Self.config.latentChannels / 2
    let third = try CodecTrainer(config: narrower, options: o, corpus: corpus, output: folder.appendingPathComponent("c"))
    #expect { try third.start(from: first.codec) } throws: { "\($0)".contains("only be widened") }
  }

  @Test func trainingLowersTheLoss() throws {
    let (corpus, folder) = try Self.makeCorpus()
    defer { try? FileManager.default.removeItem(at: folder) }
    var o = Self.options(level1: 40, level2: 0)
    o.adversarialStart = 1000  // reconstruction losses only: a clean signal to measure
    let trainer = try CodecTrainer(config: Self.config, options: o, corpus: corpus,
                                   output: folder.appendingPathComponent("run"))
    var losses: [Double] = []
    for _ in 0..<40 { losses.append(try trainer.trainStep()["level1/total"]!) }
    let first = losses.prefix(5).reduce(0, +) / 5
    let last = losses.suffix(5).reduce(0, +) / 5
    #expect(last < 0.8 * first, "loss went from \(first) to \(last)")
  }

  /// A codec whose phase is a running sum (`--phase advance`) trains with the phase-advance loss,
  /// which falls on these steady chords, and keeps its representation in the saved config.
  @Test func advancePhaseTrainsWithThePhaseAdvanceLoss() throws {
    let (corpus, folder) = try Self.makeCorpus()
    defer { try? FileManager.default.removeItem(at: folder) }
    var o = Self.options(level1: 40, level2: 0)
    o.adversarialStart = 1000
    o.phaseAdvanceWeight = 1
    let config = Self.config.withPhase(.advance)
    let run = folder.appendingPathComponent("run")
    let trainer = try CodecTrainer(config: config, options: o, corpus: corpus, output: run)
    var losses: [Double] = []
    for _ in 0..<40 { losses.append(try trainer.trainStep()["level1/phase_advance"]!) }
    let first = losses.prefix(5).reduce(0, +) / 5
    let last = losses.suffix(5).reduce(0, +) / 5
    #expect(last < 0.8 * first, "phase-advance loss went from \(first) to \(last)")
    try trainer.saveCheckpoint()
    let saved = try SpectralCodec.load(from: trainer.checkpoints.latest).config
    #expect(saved.phase == .advance && saved.formatVersion == 2)
    // The original's phase keeps format 1, readable by releases from before the phase option.
    #expect(Self.config.formatVersion == 1 && Self.config.withPhase(.absolute).formatVersion == 1)
    // Level 2 learns it too, through the frozen DEC.
    var o2 = Self.options(level1: 1, level2: 1)
    o2.phaseAdvanceWeight = 1
    let twoLevels = try CodecTrainer(config: config, options: o2, corpus: corpus, output: folder.appendingPathComponent("run2"))
    _ = try twoLevels.trainStep()
    let level2 = try twoLevels.trainStep()
    #expect(level2["level2/phase_advance"].map { $0 > 0 && $0 < 2 } == true, "\(level2)")
    // Through the command line, a wrong name is refused with the choices.
    let bad = try runMusika(["codec", "train", "--audio", folder.path, "--out", folder.appendingPathComponent("bad").path,
                             "--phase", "relative"])
    #expect(bad.status != 0 && bad.stderr.contains("absolute") && bad.stderr.contains("advance"), "\(bad.stderr)")
  }

  @Test func resumingGivesTheSameStateAsAnUninterruptedRun() throws {
    let (corpus, folder) = try Self.makeCorpus()
    defer { try? FileManager.default.removeItem(at: folder) }
    // 8 steps: the critics join at step 3, level 2 starts at step 5.
    let o = Self.options(level1: 5, level2: 3)
    let straight = try CodecTrainer(config: Self.config, options: o, corpus: corpus,
                                    output: folder.appendingPathComponent("straight"))
    try straight.run()

    let resumedOutput = folder.appendingPathComponent("resumed")
    let first = try CodecTrainer(config: Self.config, options: o, corpus: corpus, output: resumedOutput)
    try first.run(stopAfter: 4)
    #expect(first.step == 4)
    // As a checkpoint written before stage 3 existed: without its optimiser, which this run never uses.
    let moments = first.checkpoints.latest.appendingPathComponent(TrainerStateFiles.optimizerFile)
    try Safetensors.write(try Safetensors.read(moments).tensors.filter { !$0.key.hasPrefix("decoders.") }, to: moments)
    let resumed = try CodecTrainer.resume(output: resumedOutput, corpus: corpus)
    #expect(resumed.step == 4)
    try resumed.run()
    #expect(resumed.step == 8)

    for ((name, a), (_, b)) in zip(straight.codec.namedParameters(), resumed.codec.namedParameters()) {
      #expect(identical(a, b), "\(name) differs after resume: \(difference(a, b))")
    }
    for ((name, a), (_, b)) in zip(straight.discriminator.namedParameters(), resumed.discriminator.namedParameters()) {
      #expect(identical(a, b), "critic \(name) differs after resume: \(difference(a, b))")
    }
    // The metrics log has each logged step once.
    let lines = try String(contentsOf: resumedOutput.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
      .split(separator: "\n")
    #expect(lines.count == 2)  // steps 4 and 8 (logEvery 10, plus each run's last step)
    #expect(FileManager.default.fileExists(atPath: resumedOutput.appendingPathComponent("codec/config.json").path))
    #expect(FileManager.default.fileExists(atPath: resumedOutput.appendingPathComponent("samples/step-0000008.png").path))
  }

  @Test func divergenceRollsBackToTheCheckpointWithHalfTheLearningRate() throws {
    let (corpus, folder) = try Self.makeCorpus()
    defer { try? FileManager.default.removeItem(at: folder) }
    var o = Self.options(level1: 6, level2: 0)
    o.checkpointEvery = 2
    let trainer = try CodecTrainer(config: Self.config, options: o, corpus: corpus,
                                   output: folder.appendingPathComponent("run"))
    try trainer.run(stopAfter: 2)  // checkpoint at step 2
    trainer.codec.decoder.mag.weight.fill(.nan)  // the next step's loss is NaN
    var messages: [String] = []
    try trainer.run(log: { messages.append($0) })
    #expect(trainer.step == 6)
    #expect(messages.contains { $0.contains("diverged at step 2") && $0.contains("rolled back to the checkpoint at step 2") })
    #expect(trainer.codec.parameters.allSatisfy { $0.isFinite().logicalNot().sum().item() == 0 })
    #expect(trainer.level1Optimizer.learningRate == o.learningRate / 2)
  }

  @Test func resumeWithoutCheckpointIsAnError() throws {
    let (corpus, folder) = try Self.makeCorpus()
    defer { try? FileManager.default.removeItem(at: folder) }
    #expect { try CodecTrainer.resume(output: folder, corpus: corpus) } throws: { "\($0)".contains("no checkpoint") }
  }

  /// SIGTERM from outside a terminal stops `codec train` after the current step with a checkpoint, and
  /// running the same command again ends in exactly the state of an uninterrupted run.
  @Test func sigtermStopsWithACheckpointAndTheResumeEqualsAnUninterruptedRun() throws {
    let (_, folder) = try Self.makeCorpus()
    // The runs live outside the audio folder: their sample WAVs must not join the corpus.
    let runs = FileManager.default.temporaryDirectory.appendingPathComponent("musika-sigterm-\(UUID())")
    defer {
      try? FileManager.default.removeItem(at: folder)
      try? FileManager.default.removeItem(at: runs)
    }
    func arguments(_ out: URL) -> [String] {
      ["codec", "train", "--audio", folder.path, "--out", out.path, "--config", "micro", "--level1-steps", "40",
       "--level2-steps", "10", "--batch", "2", "--threads", "1", "--checkpoint-every", "1", "--sample-every", "1000"]
    }
    let straight = runs.appendingPathComponent("straight")
    #expect(try runMusika(arguments(straight)).status == 0)

    let interrupted = runs.appendingPathComponent("interrupted")
    let process = Process()
    process.executableURL = Bundle.main.bundleURL.appendingPathComponent("musika")
    process.arguments = arguments(interrupted)
    let err = Pipe()
    process.standardError = err
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let header = interrupted.appendingPathComponent("checkpoints/latest/checkpoint.json")
    let deadline = Date().addingTimeInterval(120)
    while !FileManager.default.fileExists(atPath: header.path), process.isRunning, Date() < deadline { usleep(20_000) }
    process.terminate()  // SIGTERM
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(stderr)")
    #expect(stderr.contains("SIGTERM: stopping after this step"), "\(stderr)")
    #expect(stderr.contains("stopped at step"), "\(stderr)")
    #expect(!FileManager.default.fileExists(atPath: interrupted.appendingPathComponent("codec").path))

    let resumed = try runMusika(arguments(interrupted))
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(resumed.stderr.contains("resuming at step"))
    let a = try SpectralCodec.load(from: straight.appendingPathComponent("codec"))
    let b = try SpectralCodec.load(from: interrupted.appendingPathComponent("codec"))
    for ((name, x), (_, y)) in zip(a.namedParameters(), b.namedParameters()) {
      #expect(identical(x, y), "\(name) differs after the SIGTERM and resume: \(difference(x, y))")
    }
  }

  /// Mixed precision (bf16 convolutions) and fp32 agree on the losses of a step within 3 %: bf16 keeps
  /// 8 bits of mantissa, and the losses average many elements.
  @Test func bf16AndFp32TrainingStepsAgreeInLoss() throws {
    let (corpus, folder) = try Self.makeCorpus()
    defer { try? FileManager.default.removeItem(at: folder) }
    var o = Self.options(level1: 2, level2: 2)
    o.adversarialStart = 100
    var losses: [String: [Double]] = [:]
    for precision in TrainingPrecision.allCases {
      o.precision = precision
      let trainer = try CodecTrainer(config: Self.config, options: o, corpus: corpus,
                                     output: folder.appendingPathComponent(precision.rawValue))
      for _ in 0..<4 {
        for (name, value) in try trainer.trainStep() { losses[name, default: []].append(value) }
      }
    }
    for (name, values) in losses where values.count == 4 || values.count == 8 {
      let half = values.count / 2
      for i in 0..<half {
        let (fp32, bf16) = (values[i], values[half + i])
        #expect(abs(fp32 - bf16) <= 0.03 * abs(fp32) + 1e-4, "\(name) step \(i): fp32 \(fp32), bf16 \(bf16)")
      }
    }
    #expect(!losses.isEmpty)
  }
}
