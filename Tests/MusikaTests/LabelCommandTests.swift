import Audio
import Foundation
import Testing
import Torch

@testable import Musika

@Suite("musika label")
struct LabelCommandTests {
  /// Stereo clicks (decaying noise bursts) at `bpm`, 44.1 kHz.
  private func clicks(bpm: Double, seconds: Double) -> Tensor {
    let rate = 44_100
    var x = [Float](repeating: 0, count: Int(seconds * Double(rate)))
    var state: UInt32 = 12345
    for beat in stride(from: 0.2, to: seconds - 0.1, by: 60 / bpm) {
      let start = Int(beat * Double(rate))
      for i in 0..<2000 where start + i < x.count {
        state = state &* 1_664_525 &+ 1_013_904_223
        let noise = Float(Int32(bitPattern: state)) / Float(Int32.max)
        x[start + i] = 0.6 * noise * Float(exp(-Double(i) / 400))
      }
    }
    let mono = Tensor(x, shape: [1, x.count])
    return Tensor.cat([mono, mono], dim: 0)
  }

  /// 12 s click tracks written to ROOT/audio and encoded by `musika encode` (plus `extra`) with a
  /// tiny untrained codec saved in ROOT/codec, into ROOT/latents.
  private func encodeClicks(_ tracks: [(file: String, bpm: Double)], in root: URL, extra: [String] = []) throws
    -> (audio: URL, codec: URL, latents: URL, result: (status: Int32, stdout: String, stderr: String)) {
    let audio = root.appendingPathComponent("audio")
    try FileManager.default.createDirectory(at: audio, withIntermediateDirectories: true)
    for (file, bpm) in tracks {
      try AudioFile.write(clicks(bpm: bpm, seconds: 12), sampleRate: 44_100, to: audio.appendingPathComponent(file))
    }
    let codec = try SpectralCodec(config: SpectralCodecTests.tiny)
    codec.initialize(seed: 1)
    let codecFolder = root.appendingPathComponent("codec")
    try codec.save(to: codecFolder)
    let latents = root.appendingPathComponent("latents")
    let result = try runMusika(["encode", audio.path, latents.path, "--codec", codecFolder.path, "--threads", "1"] + extra)
    return (audio, codecFolder, latents, result)
  }

  @Test func analyzeFoldsTempiIntoTheAskedOctaveWindow() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("musika-analyze-\(UUID())")
    defer { try? FileManager.default.removeItem(at: root) }
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    let file = root.appendingPathComponent("slow.wav")
    try AudioFile.write(clicks(bpm: 75, seconds: 16), sampleRate: 44_100, to: file)
    func tempo(_ extra: [String]) throws -> Double {
      let result = try runMusika(["analyze", "--json", "--threads", "1", file.path] + extra)
      #expect(result.status == 0, "\(result.stderr)")
      let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
      return try #require(object?["tempo"] as? Double)
    }
    let plain = try tempo([])
    let techno = try tempo(["--tempo-range", "100-200"])
    #expect(abs(plain - 75) / 75 < 0.02, "\(plain) BPM for clicks at 75")
    #expect(abs(techno - 150) / 150 < 0.02, "\(techno) BPM folded into 100–200 for clicks at 75")
  }

  @Test func labelsTempoAndDensityIntoTheManifestAndResumes() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("musika-label-\(UUID())")
    defer { try? FileManager.default.removeItem(at: root) }
    let (_, _, latents, encoded) = try encodeClicks([("a.wav", 120), ("b.flac", 150)], in: root)
    #expect(encoded.status == 0, "\(encoded.stderr)")

    // No --audio: the manifest knows which folder was encoded.
    let labelled = try runMusika(["label", latents.path, "--threads", "1"])
    #expect(labelled.status == 0, "\(labelled.stderr)")
    #expect(labelled.stdout.contains("2 of 2 files have a tempo"))
    let manifest = try #require(try DatasetManifest.load(from: latents))
    for (entry, bpm) in zip(manifest.entries, [120.0, 150.0]) {
      let tempo = try #require(entry.labels["tempo"])
      #expect(abs(tempo - bpm) / bpm < 0.02, "\(entry.source): \(tempo) BPM, clicks at \(bpm)")
      let density = try #require(entry.labelSeries?["density"])
      #expect(density.count == entry.vectors)
      let middle = density[density.count / 2]
      #expect(abs(middle - bpm / 60) <= 0.5, "\(entry.source): \(middle) onsets/s mid-file, clicks at \(bpm / 60)/s")
      // Beats elapsed at each vector's start: whole numbers where a click starts (every 60/bpm s from 0.2 s).
      let beats = try #require(entry.labelSeries?["beats"])
      #expect(beats.count == entry.vectors)
      let vectorSeconds = entry.duration / Double(entry.vectors)
      let offsets = beats.indices.dropFirst(4).dropLast(4).map { i -> Double in
        let phase = beats[i] - (Double(i) * vectorSeconds - 0.2) * bpm / 60
        return abs(phase - phase.rounded())
      }
      #expect(offsets.max()! < 0.06, "\(entry.source): beat phase off the clicks by up to \(offsets.max()!) beats")
    }
    // The labels are what conditioned training reads.
    let corpus = try LatentCorpus(folder: latents, minimumVectors: 1)
    #expect(try corpus.conditioning(tempo: true, density: true).tempo != nil)

    // A techno prior: 120 BPM is already inside 100–200; --overwrite relabels every file.
    let folded = try runMusika(["label", latents.path, "--overwrite", "--tempo-range", "100-200", "--threads", "1"])
    #expect(folded.status == 0, "\(folded.stderr)")
    #expect(try #require(try DatasetManifest.load(from: latents)).entries.allSatisfy { $0.labels["tempo"]! >= 100 })

    // A dataset labelled before beats were tracked: a plain `label` adds them at the tempo it has.
    var old = try #require(try DatasetManifest.load(from: latents))
    let tempi = old.entries.map { $0.labels["tempo"] }
    for i in old.entries.indices { old.entries[i].labelSeries?["beats"] = nil }
    try old.save(to: latents)
    let beatsAdded = try runMusika(["label", latents.path, "--threads", "1"])
    #expect(beatsAdded.status == 0, "\(beatsAdded.stderr)")
    let withBeats = try #require(try DatasetManifest.load(from: latents))
    #expect(withBeats.entries.allSatisfy { $0.labelSeries?["beats"]?.count == $0.vectors })
    #expect(withBeats.entries.map { $0.labels["tempo"] } == tempi)

    let again = try runMusika(["label", latents.path])
    #expect(again.stderr.contains("a.wav: already labelled"))
    let narrow = try runMusika(["label", latents.path, "--tempo-range", "100-150"])
    #expect(narrow.status != 0 && narrow.stderr.contains("spans less than an octave"))
    let missing = try runMusika(["label", root.appendingPathComponent("nothing").path])
    #expect(missing.status != 0 && missing.stderr.contains("has no manifest.json"))
  }

  /// `encode --speeds` makes one encoding per speed; `label` measures each speed's own tempo.
  @Test func speedsMakeOneEncodingPerSpeedWithItsOwnTempo() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("musika-speeds-\(UUID())")
    defer { try? FileManager.default.removeItem(at: root) }
    let (audio, codecFolder, latents, encoded) = try encodeClicks([("a.wav", 120)], in: root, extra: ["--speeds", "0.8,1,1.25"])
    #expect(encoded.status == 0, "\(encoded.stderr)")
    #expect(encoded.stdout.contains("3 encodings"))
    let labelled = try runMusika(["label", latents.path, "--threads", "1"])
    #expect(labelled.status == 0, "\(labelled.stderr)")
    let manifest = try #require(try DatasetManifest.load(from: latents))
    #expect(manifest.entries.map(\.latents) == ["a@0.8x.safetensors", "a.safetensors", "a@1.25x.safetensors"])
    for (entry, speed) in zip(manifest.entries, [0.8, 1, 1.25]) {
      #expect(entry.playbackSpeed == speed)
      #expect(abs(entry.duration - 12 / speed) < 0.01, "\(entry.latents): \(entry.duration) s")
      let tempo = try #require(entry.labels["tempo"])
      #expect(abs(tempo - 120 * speed) / (120 * speed) < 0.02, "\(entry.latents): \(tempo) BPM at speed \(speed)")
    }
    #expect(manifest.entries[0].vectors > manifest.entries[1].vectors && manifest.entries[1].vectors > manifest.entries[2].vectors)
    let again = try runMusika(["encode", audio.path, latents.path, "--codec", codecFolder.path, "--speeds", "0.8,1,1.25"])
    #expect(again.stderr.contains("a.wav @0.8×: already encoded"))
    let bad = try runMusika(["encode", audio.path, latents.path, "--codec", codecFolder.path, "--speeds", "1,3"])
    #expect(bad.status != 0 && bad.stderr.contains("--speeds: '3'"))
  }
}
