import Audio
import Foundation
import Testing
import Torch

@testable import Musika

@Suite("musika encode / decode on a folder")
struct EncodeDecodeCommandTests {
  private func sine(_ seconds: Double, channels: Int, rate: Int) -> Tensor {
    let frames = Int(seconds * Double(rate))
    let values = (0..<(frames * channels)).map { Float(0.3 * sin(Double($0 % frames) * 0.05)) }
    return Tensor(values, shape: [channels, frames])
  }

  @Test func encodesResumesReportsBadFilesAndDecodes() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("musika-encode-\(UUID())")
    defer { try? FileManager.default.removeItem(at: root) }
    let audio = root.appendingPathComponent("audio")
    try FileManager.default.createDirectory(at: audio.appendingPathComponent("sub"), withIntermediateDirectories: true)
    try AudioFile.write(sine(1.0, channels: 2, rate: 44_100), sampleRate: 44_100, to: audio.appendingPathComponent("a.wav"))
    try AudioFile.write(sine(0.8, channels: 1, rate: 22_050), sampleRate: 22_050,
                        to: audio.appendingPathComponent("sub/b.mp3"))
    try AudioFile.write(sine(0.05, channels: 2, rate: 44_100), sampleRate: 44_100,
                        to: audio.appendingPathComponent("short.wav"))
    try "not audio".write(to: audio.appendingPathComponent("text.wav"), atomically: true, encoding: .utf8)

    let codec = try SpectralCodec(config: SpectralCodecTests.tiny)
    codec.initialize(seed: 1)
    let codecFolder = root.appendingPathComponent("codec")
    try codec.save(to: codecFolder)
    let latents = root.appendingPathComponent("latents")

    let first = try runMusika(["encode", audio.path, latents.path, "--codec", codecFolder.path, "--threads", "1"])
    #expect(first.status == 0, "\(first.stderr)")
    #expect(first.stdout.contains("2 files encoded"))
    #expect(first.stdout.contains("2 failed"))
    #expect(first.stderr.contains("short.wav: skipped:") && first.stderr.contains("shorter than one latent vector"))
    #expect(first.stderr.contains("text.wav: skipped:") && first.stderr.contains("cannot be read as audio"))
    #expect(first.stderr.contains("mono: duplicated"))

    let manifest = try #require(try DatasetManifest.load(from: latents))
    #expect(manifest.entries.map(\.source) == ["a.wav", "sub/b.mp3"])
    #expect(manifest.entries[0].vectors == 10)  // 44 100 samples → 169 frames → 10 vectors
    #expect(manifest.entries[1].sourceSampleRate == 22_050 && manifest.entries[1].sourceChannels == 1)
    #expect(Set(manifest.failures.map(\.source)) == ["short.wav", "text.wav"])
    let (tensor, metadata) = try DatasetEncoder.readLatents(latents.appendingPathComponent("sub/b.safetensors"))
    #expect(tensor.size(0) == 128 && metadata["codec"] == "tiny")

    let second = try runMusika(["encode", audio.path, latents.path, "--codec", codecFolder.path])
    #expect(second.stderr.contains("a.wav: already encoded"))

    // Without --codec: the folder recorded by encode is used.
    let wav = root.appendingPathComponent("a-decoded.wav")
    let decoded = try runMusika(["decode", latents.appendingPathComponent("a.safetensors").path, wav.path,
                                 "--seed", "3", "--encoding", "pcm24"])
    #expect(decoded.status == 0, "\(decoded.stderr)")
    let info = try AudioFile.info(wav)
    #expect(info.channels == 2 && info.frames == codec.sampleCount(vectors: 10))
    let again = root.appendingPathComponent("a-again.wav")
    _ = try runMusika(["decode", latents.appendingPathComponent("a.safetensors").path, again.path, "--seed", "3",
                       "--encoding", "pcm24", "--codec", codecFolder.path])
    let sameBytes = try Data(contentsOf: wav) == Data(contentsOf: again)
    #expect(sameBytes)  // same seed, same bytes

    let folderOut = root.appendingPathComponent("decoded")
    let all = try runMusika(["decode", latents.path, folderOut.path, "--codec", codecFolder.path])
    #expect(all.status == 0, "\(all.stderr)")
    #expect(FileManager.default.fileExists(atPath: folderOut.appendingPathComponent("a.wav").path))
    // encode mirrors the audio's sub-folders; decode walks them too (it used to decode only the top level).
    #expect(FileManager.default.fileExists(atPath: folderOut.appendingPathComponent("sub/b.wav").path))
    #expect(all.stderr.contains("[2/2]"))
    let emptyFolder = root.appendingPathComponent("empty")
    try FileManager.default.createDirectory(at: emptyFolder, withIntermediateDirectories: true)
    let none = try runMusika(["decode", emptyFolder.path, folderOut.path, "--codec", codecFolder.path])
    #expect(none.status != 0 && none.stderr.contains("holds no latent files"))

    let wrong = try runMusika(["encode", audio.path, latents.path, "--codec", root.path])
    #expect(wrong.status == 64 && wrong.stderr.contains("not a codec folder"))
  }
}
