import Foundation
import Testing
import Torch

@testable import Musika

/// `musika import` against the original Musika: random-weight Keras files of its five networks and
/// its outputs on fixed inputs, made by tools/make_parity_fixtures.py with the original's own code
/// and TensorFlow 2.15. The committed fixtures are tiny (hop 32, latdepth 8, base_channels 8: the
/// same code paths as the released sizes); MUSIKA_PARITY_FIXTURES=FOLDER runs the same checks on
/// another set, e.g. the full size (`--size full`).
@Suite("Original Musika import: parity with its Keras networks", .serialized)
struct KerasParityTests {
  static let committed = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/KerasParity")
  static let folder = ProcessInfo.processInfo.environment["MUSIKA_PARITY_FIXTURES"]
    .map { URL(fileURLWithPath: $0) } ?? committed
  /// The issue's targets: each network within 1e-4 (max abs, fp32), the chain's waveform within 1e-3.
  static let networkTolerance = 1e-4
  static let chainTolerance = 1e-3

  let reference: SafetensorsFile

  init() throws {
    reference = try Safetensors.read(Self.folder.appendingPathComponent("reference.safetensors"))
  }

  private func tensor(_ key: String) throws -> Tensor {
    guard let value = reference.tensors[key] else {
      throw MusikaError.invalidInput("reference.safetensors has no '\(key)': remake the fixtures with tools/make_parity_fixtures.py")
    }
    return value
  }

  /// Max |a − b|, reported with the network's name (the full-size figures are read from this output).
  private func difference(_ name: String, _ ours: Tensor, _ key: String) throws -> Double {
    let original = try tensor(key)
    #expect(ours.shape == original.shape, "\(name): shape \(ours.shape), the original's \(original.shape)")
    guard ours.shape == original.shape else { return .infinity }
    let largest = (ours - original).abs().amax().item()
    print("parity \(reference.metadata["size"] ?? "?") \(name): max |ours − original| = "
      + String(format: "%.3g", largest) + " (original's max |x| " + String(format: "%.3g", original.abs().amax().item()) + ")")
    return largest
  }

  @Test func codecNetworksMatchTheOriginal() throws {
    let codec = try OriginalMusikaImport.codec(fromAutoencoder: Self.folder.appendingPathComponent("ae"))
    let outputs: [(name: String, ours: Tensor, key: String)] = try withNoGrad {
      let input = try tensor("dec.input")
      let (magnitude, phase) = codec.decoder(input, noise: NoiseSource(seed: 0))
      let unclipped = codec.decoder.unclipped(input, noise: NoiseSource(seed: 0))
      return [("ENC", codec.encoder(try tensor("enc.input")), "enc.output"),
              ("DEC magnitude", magnitude, "dec.magnitude"), ("DEC phase", phase, "dec.phase"),
              ("DEC magnitude before the clip", unclipped.magnitude, "dec.magnitude_unclipped"),
              ("DEC phase before the clip", unclipped.phase, "dec.phase_unclipped"),
              ("ENC2", codec.latentEncoder(try tensor("enc2.input")), "enc2.output"),
              ("DEC2", codec.latentDecoder(try tensor("dec2.input"), noise: NoiseSource(seed: 0)), "dec2.output")]
    }
    for (name, ours, key) in outputs {
      #expect(try difference(name, ours, key) < Self.networkTolerance)
    }
  }

  @Test(arguments: [("techno", "gen"), ("misc_small", "gen_small")])
  func generatorMatchesTheOriginal(folder: String, key: String) throws {
    let generator = try OriginalMusikaImport.generator(from: Self.folder.appendingPathComponent("\(folder)/gen_ema.h5"))
    #expect(generator.config.isSmall == (folder == "misc_small"))
    let output = try withNoGrad { generator(try tensor("\(key).input"), noise: NoiseSource(seed: 0)) }
    #expect(try difference("generator (\(folder))", output, "\(key).output") < Self.networkTolerance)
  }

  @Test func chainFromLatentsToWaveformMatchesTheOriginal() throws {
    let codec = try OriginalMusikaImport.codec(fromAutoencoder: Self.folder.appendingPathComponent("ae"))
    let latents = try tensor("chain.latents")
    // The original's windows: DEC2 on 4 vectors and DEC on 64 frames, each on its own (no context).
    let waveform = try codec.decodeLikeTheOriginal(latents, seed: 0)
    #expect(try difference("chain latents → waveform", waveform, "chain.waveform") < Self.chainTolerance)
    // Our own decoding reads context across those windows (no seams), so it differs from the original
    // near window edges by design; reported, not asserted.
    _ = try difference("chain with our seamless decoding (not a target)", codec.decode(latents, seed: 0), "chain.waveform")
  }

  @Test(arguments: ["missing", "extra", "wrong_shape"])
  func damagedFileIsAnErrorNamingTheDataset(fault: String) throws {
    guard let dataset = reference.metadata["broken.\(fault)"] else {
      Issue.record("reference.safetensors names no damaged dataset for '\(fault)' (only the tiny fixtures have them)")
      return
    }
    let ae = FileManager.default.temporaryDirectory.appendingPathComponent("musika-import-\(UUID())")
    defer { try? FileManager.default.removeItem(at: ae) }
    try FileManager.default.copyItem(at: Self.folder.appendingPathComponent("ae"), to: ae)
    try FileManager.default.removeItem(at: ae.appendingPathComponent("enc2.h5"))
    try FileManager.default.copyItem(at: Self.folder.appendingPathComponent("broken/enc2_\(fault).h5"),
                                     to: ae.appendingPathComponent("enc2.h5"))
    do {
      _ = try OriginalMusikaImport.codec(fromAutoencoder: ae)
      Issue.record("enc2.h5 with a \(fault) dataset was imported")
    } catch let error as MusikaError {
      let message = error.description
      #expect(message.contains("'\(dataset)'"), "\(message)")
      #expect(message.contains(ae.appendingPathComponent("enc2.h5").path), "\(message)")
    }
  }

  @Test func notAKerasFileIsAnErrorNamingIt() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("musika-import-\(UUID())")
    defer { try? FileManager.default.removeItem(at: folder) }
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let fake = folder.appendingPathComponent("gen_ema.h5")
    try Data("not hdf5".utf8).write(to: fake)
    #expect(throws: MusikaError.self) { try OriginalMusikaImport.generator(from: fake) }
    do { _ = try OriginalMusikaImport.generator(from: fake) } catch {
      #expect("\(error)".contains(fake.path) && "\(error)".contains("not an HDF5 file"), "\(error)")
    }
    // An autoencoder file where a generator is expected names what it lacks.
    do {
      _ = try OriginalMusikaImport.generator(from: Self.folder.appendingPathComponent("ae/enc2.h5"))
      Issue.record("enc2.h5 was imported as a generator")
    } catch {
      #expect("\(error)".contains("is not a generator of the original Musika"), "\(error)")
    }
  }

  /// The command end to end: import, then `info` and `generate` on the folder like on our own models.
  @Test func importedModelRendersDeterministically() throws {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("musika-import-\(UUID())")
    defer { try? FileManager.default.removeItem(at: work) }
    let model = work.appendingPathComponent("techno-original").path
    let imported = try runMusika(["import", "--ae", Self.folder.appendingPathComponent("ae").path,
                                  "--gan", Self.folder.appendingPathComponent("techno").path, model])
    #expect(imported.status == 0, "\(imported.stderr)")
    #expect(imported.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == model)

    // Saved and loaded back, the generator still computes the original's outputs.
    let loaded = try GANModel.load(from: URL(fileURLWithPath: model))
    #expect(loaded.config.name == "techno" && loaded.config.origin != nil)
    #expect(loaded.card?.contains("marcop/musika_techno") == true)
    let output = try withNoGrad { loaded.generator(try tensor("gen.input"), noise: NoiseSource(seed: 0)) }
    #expect(try difference("generator after import and reload", output, "gen.output") < Self.networkTolerance)

    let info = try runMusika(["info", model])
    #expect(info.status == 0, "\(info.stderr)")
    #expect(info.stdout.contains("trained      elsewhere: the original Musika's gen_ema.h5"), "\(info.stdout)")

    func render(seed: Int, _ name: String) throws -> Data {
      let out = work.appendingPathComponent(name).path
      let result = try runMusika(["generate", "--model", model, "--seconds", "3", "--seed", "\(seed)", "-o", out,
                                  "--threads", "1"])
      #expect(result.status == 0, "\(result.stderr)")
      return try Data(contentsOf: URL(fileURLWithPath: out))
    }
    let first = try render(seed: 5, "a.wav")
    #expect(try render(seed: 5, "b.wav") == first)
    #expect(try render(seed: 6, "c.wav") != first)
  }
}
