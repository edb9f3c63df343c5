import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Musika
import MusikaServer
import Torch

extension MusikaCommand {
  struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Musika Studio: a web page and HTTP API for clips and endless, steerable streams.",
      discussion: """
        Serves the studio page at http://HOST:PORT/ (no internet needed: everything comes from this \
        binary), the API described at /openapi.json (and /openapi.yaml), and /health. --models is a folder of model folders \
        (each with config.json, e.g. a training run's OUT/model) or one model folder; by default the \
        bundled models/ folder. Binds to \
        localhost unless --host says otherwise. Ctrl-C (SIGINT) or SIGTERM stops it cleanly. \
        Each stream or render computes on a thread of its own with --threads tensor threads: for many \
        listeners at once, --threads 1 gives about three times the audio per second in all (`musika bench \
        generate --streams 8 --threads 1|2`), one listener a little less.
        """
    )

    @Option(help: "Address to bind (0.0.0.0 to let other machines in).") var host = "127.0.0.1"
    @Option(help: "Port.") var port = 8080
    @Option(help: "Folder of model folders, or one model folder (default: the bundled models/).") var models: String?
    @Option(help: "Longest clip in seconds; longer requests get 413.") var maxClipSeconds: Double = 600
    @Option(help: "Clips rendering at once; more get 429.") var maxRenders: Int = 2
    @Option(help: "Streams open at once; more get 429.") var maxStreams: Int = 4
    @Option(help: "Seconds after which a stream nobody pulls from is closed.") var streamIdleSeconds: Double = 30

    @Option(help: "Precision of the decoders: auto (bf16 on CPUs with AMX or AMD AVX-512 BF16, else fp32), fp32 or bf16.")
    var precision: DecoderPrecision = .auto

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
      guard (1...65535).contains(port) else { throw ValidationError("--port must be in 1…65535 (got \(port)).") }
      guard maxClipSeconds > 0, maxRenders >= 1, maxStreams >= 1, streamIdleSeconds > 0 else {
        throw ValidationError("--max-clip-seconds, --max-renders, --max-streams and --stream-idle-seconds must be positive.")
      }
      if let models {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: models, isDirectory: &isFolder), isFolder.boolValue else {
          throw ValidationError("--models \(models): no such folder; give a folder of model folders (e.g. a run's OUT/model).")
        }
      }
    }

    func run() async throws {
      try TorchRuntime.setThreadCount(runtime.threads)
      let folder: URL
      if let models {
        folder = URL(fileURLWithPath: models)
      } else if let bundled = BundledModels.folder() {
        folder = bundled
      } else {
        throw ValidationError("no --models given and no bundled models found (looked in $MUSIKA_MODELS, ./models and "
          + "beside the executable); pass --models DIR, a folder of model folders")
      }
      var options = StudioOptions(modelsFolder: folder)
      options.host = host
      options.port = port
      options.limits.maxClipSeconds = maxClipSeconds
      options.limits.maxConcurrentRenders = maxRenders
      options.limits.maxStreams = maxStreams
      options.limits.streamIdleSeconds = streamIdleSeconds
      options.preferredModel = BundledModels.defaultModel  // the page preselects what `generate` plays by default
      options.decoderPrecision = precision.dtype()  // the same choice as `generate`: a clip equals its CLI render
      report("Musika Studio on http://\(host):\(port)/ serving \(options.modelsFolder.path); decoders: \(precision.describe())")
      try await buildApplication(options).runService()
    }
  }
}
