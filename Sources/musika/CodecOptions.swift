import ArgumentParser
import Foundation
import Audio
import Musika

extension SampleEncoding: ExpressibleByArgument {}

/// Chooses the codec a command uses.
struct CodecOptions: ParsableArguments {
  @Option(name: .customLong("codec"), help: "Codec folder (config.json + codec.safetensors), as written by `musika codec train`.")
  var codecPath: String

  var url: URL { URL(fileURLWithPath: codecPath) }

  init() {}

  init(codecPath: String) {
    self.codecPath = codecPath
  }

  func load() throws -> SpectralCodec {
    do {
      return try SpectralCodec.load(from: url)
    } catch {
      throw ValidationError("--codec \(codecPath): \(error)")
    }
  }
}

/// Prints progress to standard error.
func report(_ message: String) {
  FileHandle.standardError.write(Data((message + "\n").utf8))
}
