import ArgumentParser
import Musika

@main
struct MusikaCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "musika",
    abstract: "Fast, infinite stereo music generation: a spectral codec and a latent GAN on libtorch.",
    discussion: """
      Musika compresses audio into a compact latent sequence with a two-level spectrogram \
      autoencoder, and generates latent sequences of any length with a GAN driven by interpolated \
      random coordinates. Run `musika bench engine` to see how fast this machine runs it.
      """,
    version: MusikaVersion.string,
    subcommands: [Codec.self, Encode.self, Decode.self, Label.self, Analyze.self, Train.self, Generate.self, Stream.self, Serve.self, Export.self, Import.self, Info.self, Bench.self]
  )
}
