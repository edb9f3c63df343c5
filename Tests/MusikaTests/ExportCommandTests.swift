import Foundation
import Testing
import Torch

@testable import Musika

@Suite("musika export")
struct ExportCommandTests {
  @Test func exportsBF16WeightsThatLoadAndGenerateDeterministically() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("musika-export-\(UUID())")
    defer { try? FileManager.default.removeItem(at: root) }
    let model = try MicroModels.model(MicroModels.tempo)
    try model.save(to: root.appendingPathComponent("in"))
    let card = root.appendingPathComponent("card.md")
    try "# shipped\n".write(to: card, atomically: true, encoding: .utf8)
    let out = root.appendingPathComponent("out")
    let result = try runMusika(["export", root.appendingPathComponent("in").path, out.path, "--card", card.path])
    #expect(result.status == 0, "\(result.stderr)")
    let weights = try Safetensors.read(out.appendingPathComponent(GANModel.generatorFile))
    #expect(weights.tensors.values.allSatisfy { $0.dtype == .bfloat16 })
    let codecWeights = try Safetensors.read(out.appendingPathComponent("codec/codec.safetensors"))
    #expect(codecWeights.tensors.values.allSatisfy { $0.dtype == .bfloat16 })
    let shipped = try GANModel.load(from: out)
    #expect(shipped.card == "# shipped\n")
    let a = try MusicStream(model: shipped, controls: .init(seed: 2, truncation: 2, tempo: 120)).render(seconds: 2)
    let b = try MusicStream(model: GANModel.load(from: out), controls: .init(seed: 2, truncation: 2, tempo: 120)).render(seconds: 2)
    #expect(identical(a, b), "\(difference(a, b))")
    let missing = try runMusika(["export", root.appendingPathComponent("nothing").path, out.path])
    #expect(missing.status != 0 && missing.stderr.contains("is not a model folder"))
  }

  /// A codec folder exports on its own (models/codec ships so), byte-identical to the codec inside an
  /// exported model folder, so one codec serves every bundled model.
  @Test func exportsACodecFolderIdenticalToTheOneInsideAModel() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("musika-export-codec-\(UUID())")
    defer { try? FileManager.default.removeItem(at: root) }
    let model = try MicroModels.model(MicroModels.tempo)
    try model.save(to: root.appendingPathComponent("model"))
    try model.codec.save(to: root.appendingPathComponent("codec"))
    let card = root.appendingPathComponent("card.md")
    try "# codec\n".write(to: card, atomically: true, encoding: .utf8)
    let codecOut = root.appendingPathComponent("out-codec")
    let modelOut = root.appendingPathComponent("out-model")
    let a = try runMusika(["export", root.appendingPathComponent("codec").path, codecOut.path, "--card", card.path])
    #expect(a.status == 0, "\(a.stderr)")
    let b = try runMusika(["export", root.appendingPathComponent("model").path, modelOut.path])
    #expect(b.status == 0, "\(b.stderr)")
    let weights = codecOut.appendingPathComponent(SpectralCodec.weightsFile)
    #expect(try Safetensors.read(weights).tensors.values.allSatisfy { $0.dtype == .bfloat16 })
    #expect(try Data(contentsOf: weights) == Data(contentsOf: modelOut.appendingPathComponent("codec/codec.safetensors")))
    #expect(try String(contentsOf: codecOut.appendingPathComponent(GANModel.cardFile), encoding: .utf8) == "# codec\n")
    let shipped = try SpectralCodec.load(from: codecOut)
    #expect(shipped.config == model.codec.config)
  }

  /// --gain-db scales a model's audio by exactly that gain, and survives loading; codecs refuse it.
  @Test func gainDecibelsScalesTheAudio() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("musika-export-gain-\(UUID())")
    defer { try? FileManager.default.removeItem(at: root) }
    let model = try MicroModels.model(MicroModels.tempo)
    try model.save(to: root.appendingPathComponent("in"), dtype: .bfloat16)
    try model.codec.save(to: root.appendingPathComponent("codec"))
    let out = root.appendingPathComponent("out")
    let result = try runMusika(["export", root.appendingPathComponent("in").path, out.path, "--gain-db", "6"])
    #expect(result.status == 0, "\(result.stderr)")
    let loud = try GANModel.load(from: out)
    #expect(loud.config.outputGainDecibels == 6)
    let plain = try MusicStream(model: GANModel.load(from: root.appendingPathComponent("in")), controls: .init(seed: 4, truncation: 2, tempo: 120))
      .render(seconds: 1)
    let louder = try MusicStream(model: loud, controls: .init(seed: 4, truncation: 2, tempo: 120)).render(seconds: 1)
    let ratio = (louder * louder).mean().item().squareRoot() / (plain * plain).mean().item().squareRoot()
    #expect(abs(ratio - 1.9953) < 1e-3, "ratio \(ratio)")
    let codec = try runMusika(["export", root.appendingPathComponent("codec").path, root.appendingPathComponent("c2").path,
                               "--gain-db", "6"])
    #expect(codec.status != 0 && codec.stderr.contains("--gain-db and --style-truncation apply to models"))
  }

  /// --style-truncation sets the style's playback bound: the audio changes, `info` names it, 0 removes
  /// it, and a bound outside (0, 10] is refused naming the field.
  @Test func styleTruncationChangesThePlaybackStyle() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("musika-export-style-\(UUID())")
    defer { try? FileManager.default.removeItem(at: root) }
    let model = try MicroModels.model(MicroModels.tempo)
    let source = root.appendingPathComponent("in")
    try model.save(to: source, dtype: .bfloat16)
    let (styled, plain) = (root.appendingPathComponent("styled"), root.appendingPathComponent("plain"))
    #expect(try runMusika(["export", source.path, styled.path, "--style-truncation", "0.4"]).status == 0)
    #expect(try GANModel.load(from: styled).config.styleTruncation == 0.4)
    #expect(try runMusika(["info", styled.path]).stdout.contains("style within ±0.4"))
    #expect(try runMusika(["export", styled.path, plain.path, "--style-truncation", "0"]).status == 0)
    #expect(try GANModel.load(from: plain).config.styleTruncation == nil)
    let render = { (folder: URL) in try MusicStream(model: GANModel.load(from: folder), controls: .init(seed: 4, truncation: 2, tempo: 120)).render(seconds: 1) }
    #expect(try render(styled).bytes() != render(plain).bytes())
    #expect(try render(plain).bytes() == render(source).bytes())
    let bad = try runMusika(["export", source.path, root.appendingPathComponent("bad").path, "--style-truncation", "20"])
    #expect(bad.status != 0 && bad.stderr.contains("styleTruncation 20"), "\(bad.stderr)")
  }

  /// --name and --truncation ship a run's model folder as it should be called and played, with no hand
  /// edit of its config.json; a truncation outside (0, 10] is refused naming the field, and a codec
  /// folder refuses both.
  @Test func nameAndTruncationShipWithoutEditingTheConfig() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("musika-export-name-\(UUID())")
    defer { try? FileManager.default.removeItem(at: root) }
    let source = root.appendingPathComponent("in")
    let model = try MicroModels.model()
    try model.save(to: source, dtype: .bfloat16)
    let shipped = root.appendingPathComponent("shipped")
    let result = try runMusika(["export", source.path, shipped.path, "--name", "strings", "--truncation", "1"])
    #expect(result.status == 0, "\(result.stderr)")
    let config = try GANModel.load(from: shipped).config
    #expect(config.name == "strings" && config.defaultTruncation == 1)
    let bad = try runMusika(["export", source.path, root.appendingPathComponent("bad").path, "--truncation", "0"])
    #expect(bad.status != 0 && bad.stderr.contains("defaultTruncation 0"), "\(bad.stderr)")
    try model.codec.save(to: root.appendingPathComponent("codec"))
    let codec = try runMusika(["export", root.appendingPathComponent("codec").path, root.appendingPathComponent("c2").path,
                               "--name", "x"])
    #expect(codec.status != 0 && codec.stderr.contains("--name"), "\(codec.stderr)")
  }
}
