import Audio
import Foundation
import Testing
import Torch

@testable import Musika

@Suite("musika train, generate and stream", .serialized)
struct GenerateCommandTests {
  /// An encoded dataset of synthetic latents with tempo and density labels, and its (untrained) codec.
  static func makeDataset(in folder: URL, vectorChannels: Int = MicroModels.codec.vectorChannels) throws -> URL {
    var config = MicroModels.codec
    config.vectorChannels = vectorChannels
    let codec = try SpectralCodec(config: config)
    codec.initialize(seed: 1)
    let codecFolder = folder.appendingPathComponent("codec")
    try codec.save(to: codecFolder)
    let data = folder.appendingPathComponent("latents")
    try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
    var manifest = DatasetManifest(codec: "micro", sampleRate: 44_100)
    let g = Generator(seed: 2)
    for k in 0..<2 {
      let latents = (Tensor.randn([2 * vectorChannels, 200], generator: g) * 0.3).tanh()
      let name = "piece\(k).safetensors"
      try Safetensors.write(["latents": latents], metadata: ["codec_folder": codecFolder.path],
                            to: data.appendingPathComponent(name))
      manifest.entries.append(.init(source: "piece\(k).wav", latents: name, duration: 18.6, sourceSampleRate: 44_100,
                                    sourceChannels: 2, vectors: 200, labels: ["tempo": 110 + 20 * Double(k)],
                                    labelSeries: ["density": (0..<200).map { Double($0 % 7 + 2 * k) }]))
    }
    try manifest.save(to: data)
    return data
  }

  /// Data encoded by a codec with larger level-2 vectors (`codec train --vector-channels 128`): a new
  /// GAN makes as many channels as the data holds (256), and its model generates.
  @Test func aGANFollowsTheCodecsVectorSize() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("musika-cli-\(UUID())")
    defer { try? FileManager.default.removeItem(at: folder) }
    let data = try Self.makeDataset(in: folder, vectorChannels: 128)
    let run = folder.appendingPathComponent("run").path
    let train = try runMusika(["train", "--data", data.path, "--out", run, "--config", "micro", "--steps", "2",
                               "--batch", "2", "--checkpoint-every", "2", "--sample-every", "2", "--threads", "1"])
    #expect(train.status == 0, "\(train.stderr)")
    let model = try GANModel.load(from: URL(fileURLWithPath: "\(run)/model"))
    #expect(model.config.gan.latentChannels == 256)
    // Our presets train in units of the latents' RMS, measured from the data and saved with the model.
    let corpus = try LatentCorpus(folder: data, minimumVectors: 1)
    #expect(Swift.abs(model.config.gan.latentScaleValue - corpus.latentRMS) < 1e-9 && corpus.latentRMS != 1)
    #expect(train.stderr.contains(String(format: "latent scale %.4f", corpus.latentRMS)), "\(train.stderr)")
    let unscaled = folder.appendingPathComponent("unscaled").path
    let plain = try runMusika(["train", "--data", data.path, "--out", unscaled, "--config", "micro", "--steps", "1",
                               "--batch", "2", "--sample-every", "5", "--latent-scale", "1", "--threads", "1"])
    #expect(plain.status == 0, "\(plain.stderr)")
    #expect(try GANModel.load(from: URL(fileURLWithPath: "\(unscaled)/model")).config.gan.latentScale == nil)
    let zero = try runMusika(["train", "--data", data.path, "--out", unscaled, "--latent-scale", "0"])
    #expect(zero.status != 0 && zero.stderr.contains("--latent-scale"), "\(zero.stderr)")
    // A resume keeps the run's learning rate and batch, and says so when the command asks for others;
    // the same values again give no note.
    let resumed = try runMusika(["train", "--data", data.path, "--out", run, "--steps", "3", "--batch", "2",
                                 "--lr", "0.5", "--threads", "1"])
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(resumed.stderr.contains("note: the run keeps --lr 0.0001 (an exact resume fixes them"), "\(resumed.stderr)")
    let same = try runMusika(["train", "--data", data.path, "--out", run, "--steps", "4", "--batch", "2",
                              "--lr", "0.0001", "--threads", "1"])
    #expect(same.status == 0 && !same.stderr.contains("note: the run keeps"), "\(same.stderr)")
    let out = folder.appendingPathComponent("a.wav").path
    let generate = try runMusika(["generate", "--model", "\(run)/model", "--seconds", "2", "--seed", "3", "-o", out,
                                  "--threads", "1"])
    #expect(generate.status == 0, "\(generate.stderr)")
    #expect(try AudioFile.read(URL(fileURLWithPath: out)).frames == 2 * 44_100)
  }

  @Test func trainThenGenerateWithEveryFlag() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("musika-cli-\(UUID())")
    defer { try? FileManager.default.removeItem(at: folder) }
    let data = try Self.makeDataset(in: folder)
    let run = folder.appendingPathComponent("run").path
    let train = try runMusika(["train", "--data", data.path, "--out", run, "--config", "micro", "--condition", "tempo",
                               "density", "--steps", "3", "--batch", "2", "--checkpoint-every", "3",
                               "--sample-every", "3", "--threads", "1"])
    #expect(train.status == 0, "\(train.stderr)")
    let model = "\(run)/model"
    #expect(train.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == model)
    #expect(train.stderr.contains("tempo (110–130 BPM), note density (3.0–5.0 onsets/s)"), "crop means of each file (the per-vector labels span 0–8)")

    let out = folder.appendingPathComponent("a.wav").path
    let plain = try runMusika(["generate", "--model", model, "--seconds", "4", "--seed", "3", "--tempo", "125",
                               "--density", "2.5", "-o", out, "--threads", "1"])
    #expect(plain.status == 0, "\(plain.stderr)")
    #expect(plain.stdout.contains(out))
    let audio = try AudioFile.read(URL(fileURLWithPath: out))
    #expect(audio.frames == 4 * 44_100 && audio.samples.size(0) == 2)

    // The same command again writes the same bytes; --start seeks into the same piece.
    let again = folder.appendingPathComponent("b.wav").path
    _ = try runMusika(["generate", "--model", model, "--seconds", "4", "--seed", "3", "--tempo", "125",
                       "--density", "2.5", "-o", again, "--threads", "1"])
    let sameBytes = try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: again))
    #expect(sameBytes)

    let curve = folder.appendingPathComponent("curve.txt")
    try "0 1\n3 5\n".write(to: curve, atomically: true, encoding: .utf8)
    for extra in [["--count", "2", "-o", folder.appendingPathComponent("many.flac").path],
                  ["--start", "1.5", "-o", folder.appendingPathComponent("seek.ogg").path],
                  ["--morph-to", "9", "--over", "3", "-o", folder.appendingPathComponent("morph.wav").path],
                  ["--density-curve", curve.path, "-o", folder.appendingPathComponent("curve.wav").path],
                  ["--truncation", "1", "-o", folder.appendingPathComponent("truncated.wav").path],
                  ["-o", folder.appendingPathComponent("plain16.wav").path],
                  ["--loop", "5", "-o", folder.appendingPathComponent("loop.wav").path],
                  ["--precision", "bf16", "-o", folder.appendingPathComponent("bf16.wav").path],
                  ["--start", "1.5", "--encoding", "float32", "-o", folder.appendingPathComponent("seek.wav").path],
                  ["--encoding", "float32", "--seconds", "3.5", "-o", folder.appendingPathComponent("long.wav").path],
                  ["--encoding", "float32", "--precision", "fp32", "-o", folder.appendingPathComponent("plain32.wav").path],
                  ["--density", "1", "-o", folder.appendingPathComponent("constant.wav").path]] {
      let result = try runMusika(["generate", "--model", model, "--seconds", "2", "--threads", "1"] + extra)
      #expect(result.status == 0, "\(extra): \(result.stderr)")
    }
    // Each flag has its effect, not only exit 0.
    func samples(_ name: String) throws -> [Float] {
      try AudioFile.read(folder.appendingPathComponent(name)).samples.contiguous().toArray(of: Float.self)
    }
    let seed0 = try samples("many-seed0.flac"), seed1 = try samples("many-seed1.flac")
    #expect(seed0.count == seed1.count && seed0 != seed1, "--count 2 wrote the same audio twice")
    // --start 1.5 is the same span of a longer piece: samples 1.5 s…3.5 s of a 3.5 s render (exactly so
    // before the limiter, which sees different surroundings in the two files, so compared by correlation).
    let seek = try AudioFile.read(folder.appendingPathComponent("seek.wav")).samples
    let long = try AudioFile.read(folder.appendingPathComponent("long.wav")).samples
    let tail = long.narrow(dim: 1, start: Int(1.5 * 44_100), length: seek.size(1))
    let plain32 = try AudioFile.read(folder.appendingPathComponent("plain32.wav")).samples
    #expect(correlation(seek, tail) > 0.99, "--start 1.5 differs from the same span of a longer piece")
    #expect(correlation(seek, plain32) < 0.9, "--start had no effect")
    // Each against the same command without the flag.
    let plain16 = try samples("plain16.wav")
    for (name, flag) in [("morph.wav", "--morph-to"), ("curve.wav", "--density-curve"), ("truncated.wav", "--truncation"),
                         ("constant.wav", "--density")] {
      #expect(try samples(name) != plain16, "\(flag) had no effect")
    }
    // bf16 decoders: close to fp32, not equal.
    let bf16 = try AudioFile.read(folder.appendingPathComponent("bf16.wav")).samples
    let bf16Correlation = correlation(bf16, plain32)
    #expect(bf16Correlation > 0.9 && !identical(bf16, plain32), "bf16 vs fp32 correlation \(bf16Correlation)")
    #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("many-seed1.flac").path))
    let loop = try AudioFile.read(folder.appendingPathComponent("loop.wav"))
    #expect(loop.frames == 64 * 4096)  // one micro window: 5.94 s

    // Errors name the problem.
    let unconditioned = try runMusika(["generate", "--model", model, "--seconds", "0"])
    #expect(unconditioned.status != 0 && unconditioned.stderr.contains("--seconds must be positive"))
    let notAModel = try runMusika(["generate", "--model", folder.path, "--seconds", "1"])
    #expect(notAModel.status != 0 && notAModel.stderr.contains("is not a model folder"))
    let badTempo = try runMusika(["generate", "--model", model, "--tempo", "2000"])
    #expect(badTempo.status != 0 && badTempo.stderr.contains("tempo must be in"))
    let loopFromMagnitude = try runMusika(["generate", "--model", model, "--loop", "5", "--phase-from", "magnitude"])
    #expect(loopFromMagnitude.status != 0 && loopFromMagnitude.stderr.contains("--loop cannot be combined with --phase-from magnitude"))
  }

  @Test func streamWritesAnEndlessWAVToStandardOutput() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("musika-stream-\(UUID())")
    defer { try? FileManager.default.removeItem(at: folder) }
    let model = try MicroModels.model(MicroModels.tempo)
    try model.save(to: folder)
    let raw = try runMusikaRaw(["stream", "--model", folder.path, "--seconds", "2", "--tempo", "120", "--threads", "1"])
    #expect(raw.prefix(4) == Data("RIFF".utf8))
    #expect(raw.count == 44 + 2 * 44_100 * 2 * 2)
    let headerless = try runMusikaRaw(["stream", "--model", folder.path, "--seconds", "1", "--tempo", "120",
                                       "--container", "raw", "--sample-format", "f32", "--threads", "1"])
    #expect(headerless.count == 44_100 * 2 * 4)
    // The stream's samples are those of `generate` with the same seed and options, bit for bit: the
    // same limiter, and the same float → 16-bit conversion as the file writer.
    for (encoding, format) in [("float32", "f32"), ("pcm16", "s16")] {
      let file = folder.appendingPathComponent("generated-\(encoding).wav")
      let generated = try runMusika(["generate", "--model", folder.path, "--seconds", "2", "--tempo", "120",
                                     "--threads", "1", "--encoding", encoding, "-o", file.path])
      #expect(generated.status == 0, "\(generated.stderr)")
      let fromFile = try AudioFile.read(file).samples.transposed(0, 1).contiguous().toArray(of: Float.self)
      let streamed = try runMusikaRaw(["stream", "--model", folder.path, "--seconds", "2", "--tempo", "120",
                                       "--container", "raw", "--sample-format", format, "--threads", "1"])
      let values: [Float] = format == "f32"
        ? streamed.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        : streamed.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }.map { Float($0) / 32768 }
      #expect(values.count == fromFile.count)
      #expect(values == fromFile, "stream and generate differ (\(encoding))")
    }
  }
}

/// Runs `musika` and returns its standard output as bytes.
func runMusikaRaw(_ arguments: [String]) throws -> Data {
  let process = Process()
  process.executableURL = Bundle.main.bundleURL.appendingPathComponent("musika")
  process.arguments = arguments
  let out = Pipe()
  process.standardOutput = out
  process.standardError = FileHandle.nullDevice
  try process.run()
  let data = out.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return data
}

/// Pearson correlation of two tensors' samples.
func correlation(_ a: Tensor, _ b: Tensor) -> Double {
  let x = a.contiguous().toArray(of: Double.self), y = b.contiguous().toArray(of: Double.self)
  guard x.count == y.count, !x.isEmpty else { return .nan }
  let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
  var sxy = 0.0, sxx = 0.0, syy = 0.0
  for i in x.indices {
    sxy += (x[i] - mx) * (y[i] - my)
    sxx += (x[i] - mx) * (x[i] - mx)
    syy += (y[i] - my) * (y[i] - my)
  }
  return sxy / max((sxx * syy).squareRoot(), 1e-30)
}
