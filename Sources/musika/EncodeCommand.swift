import ArgumentParser
import Foundation
import Musika
import Audio
import Torch

extension MusikaCommand {
  struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Encode a folder of audio into latent files for GAN training.",
      discussion: """
        Walks IN_DIR (sub-folders too) for WAV, FLAC, OGG/Vorbis/Opus, MP3 and AIFF files, resamples each \
        to the codec's rate, and writes OUT_DIR/<name>.safetensors holding `latents` of shape \
        (2·C, vectors), C the codec's level-2 vector size (64 in the original's configuration, 256 in \
        the bundled codec since 2026-12-08), one vector per 16 STFT hops (4096 samples). OUT_DIR/manifest.json records each file's source, \
        duration, sample rate and latent length, and the files that failed and why. Files already \
        encoded are skipped, so an interrupted run continues where it stopped. \
        --speeds 0.9,1,1.1 also encodes every file played 10 % slower and faster (tempo and pitch \
        together, as a turntable does), one latent file per speed (<name>@1.1x.safetensors): a few \
        tracks then cover a continuum of tempi, which is what tempo conditioning learns from. \
        `musika label` measures each speed's own tempo.
        """
    )

    @Argument(help: "Folder of audio files.", transform: { URL(fileURLWithPath: $0) })
    var input: URL

    @Argument(help: "Folder for the latent files and manifest.json (created if needed).",
              transform: { URL(fileURLWithPath: $0) })
    var output: URL

    @OptionGroup var codec: CodecOptions

    @Option(help: "Comma-separated playback speeds to encode every file at, e.g. 0.88,0.94,1,1.06,1.12 (default: 1).",
            transform: { text in
              try text.split(separator: ",").map { part in
                guard let value = Double(part.trimmingCharacters(in: .whitespaces)) else {
                  throw ValidationError("--speeds: '\(part)' is not a number (e.g. 0.9,1,1.1).")
                }
                return value
              }
            })
    var speeds: [Double] = [1]

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
      do { try DatasetEncoder.validate(speeds: speeds) } catch MusikaError.invalidInput(let message) {
        throw ValidationError("--speeds: \(message).")
      }
    }

    func run() throws {
      try TorchRuntime.setThreadCount(runtime.threads)
      let model = try codec.load()
      let encoder = try DatasetEncoder(codec: model, codecName: model.config.name, codecFolder: codec.url, speeds: speeds)
      var failed = 0
      let manifest = try encoder.encode(from: input, to: output) { index, total, event in
        switch event {
        case .encoded(let source, let seconds, let vectors, let notes):
          let extra = notes.isEmpty ? "" : " (\(notes.joined(separator: "; ")))"
          report("[\(index)/\(total)] \(source): \(String(format: "%.1f", seconds)) s → \(vectors) vectors\(extra)")
        case .skipped(let source):
          report("[\(index)/\(total)] \(source): already encoded")
        case .failed(let source, let reason):
          failed += 1
          report("[\(index)/\(total)] \(source): skipped: \(reason)")
        }
      }
      let hours = manifest.entries.reduce(0) { $0 + $1.duration } / 3600
      let what = speeds == [1] ? "files encoded" : "encodings (files × \(speeds.count) speeds)"
      print("\(manifest.entries.count) \(what) (\(String(format: "%.2f", hours)) h), \(failed) failed; "
        + "manifest: \(output.appendingPathComponent(DatasetManifest.fileName).path)")
    }
  }

  struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Decode latent files back to audio.",
      discussion: """
        IN is a latent file written by `musika encode` (or by generation), OUT the audio file to write \
        (.wav, .flac, .ogg or .mp3). If IN is a folder, every latent file under it (sub-folders too, \
        as `musika encode` writes them) is decoded into the folder OUT, as WAV, in the same \
        sub-folders. Decoding is stochastic only through the codec's noise layers, which --seed fixes: \
        the same seed gives the same samples. Without --codec, the codec folder recorded in the latent \
        file by `musika encode` is used.
        """
    )

    @Argument(help: "Latent file (.safetensors) or folder of them.", transform: { URL(fileURLWithPath: $0) })
    var input: URL

    @Argument(help: "Output audio file, or folder when IN is a folder.", transform: { URL(fileURLWithPath: $0) })
    var output: URL

    @Option(name: .customLong("codec"), help: "Codec folder (default: the one recorded in the latent file).")
    var codecPath: String?

    @Option(help: "Sample encoding of WAV/FLAC output: \(SampleEncoding.allCases.map(\.rawValue).joined(separator: ", ")).")
    var encoding: SampleEncoding = .pcm16

    @OptionGroup var runtime: RuntimeOptions

    @Option(help: "Seed of the decoder's noise.")
    var seed: UInt64 = 0

    func run() throws {
      try TorchRuntime.setThreadCount(runtime.threads)
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: input.path, isDirectory: &isDirectory) else {
        throw ValidationError("\(input.path) does not exist.")
      }
      let model = try loadCodec(isFolder: isDirectory.boolValue)
      if isDirectory.boolValue {
        let files = try latentFiles()
        for (i, name) in files.enumerated() {
          let target = output.appendingPathComponent((name as NSString).deletingPathExtension + ".wav")
          try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
          try decode(input.appendingPathComponent(name), to: target, model: model)
          report("[\(i + 1)/\(files.count)] \(name) → \(target.path)")
        }
      } else {
        try decode(input, to: output, model: model)
        print(output.path)
      }
    }

    /// --codec, or the codec folder that `musika encode` recorded in the (first) latent file.
    private func loadCodec(isFolder: Bool) throws -> SpectralCodec {
      if let codecPath { return try CodecOptions(codecPath: codecPath).load() }
      let sample = isFolder ? try latentFiles().first.map { input.appendingPathComponent($0) } : input
      guard let sample, let recorded = try DatasetEncoder.readLatents(sample).metadata["codec_folder"] else {
        throw ValidationError("\(input.path) does not name its codec; pass --codec FOLDER.")
      }
      return try CodecOptions(codecPath: recorded).load()
    }

    /// The latent files under the folder IN (sub-folders too), as sorted paths relative to it.
    private func latentFiles() throws -> [String] {
      let files = try DatasetEncoder.latentFiles(in: input)
      guard !files.isEmpty else {
        throw ValidationError("\(input.path) holds no latent files (.safetensors), in it or in its sub-folders; "
          + "pass a folder written by `musika encode`, or one latent file.")
      }
      return files
    }

    private func decode(_ file: URL, to target: URL, model: SpectralCodec) throws {
      let (latents, metadata) = try DatasetEncoder.readLatents(file)
      if let name = metadata["codec"], name != model.config.name {
        report("warning: \(file.lastPathComponent) was encoded by codec '\(name)', decoding with '\(model.config.name)'")
      }
      let audio = try model.decode(latents, seed: seed)
      try AudioFile.write(audio, sampleRate: model.config.sampleRate, to: target, encoding: encoding)
    }
  }
}
