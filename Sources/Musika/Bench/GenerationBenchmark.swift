import Foundation
import Torch

/// `musika bench generate`: how fast a model generates audio on this machine, with random weights
/// at the original's full size (`musika-44k` generator and codec), or a trained model from its folder
/// (a bundled one: its own size, controls and phase source). Speed does not depend on what the
/// weights learned, so untrained weights measure what a trained model of that size will do.
///
/// - real-time factor: seconds of stereo audio per second of compute, streaming from position 0
///   (generator windows, both decoders with their overlap, inverse STFT), fp32 and bf16 decoders;
/// - time to first audio: opening a stream on a loaded model and receiving its first chunk;
/// - memory: resident set size sampled after every chunk of a long stream;
/// - a same-run reference: the sgemm peak, and the decoders' MAC rate as a share of it.
public struct GenerationBenchmark {
  public struct Options: Sendable {
    public var threads: Int
    public var seconds: Double = 60
    public var streamMinutes: Double = 10
    public var includeBF16 = true
    /// Latent vectors per decoded chunk of the measured streams (a speed setting: the audio is the same
    /// for any size, up to float rounding).
    public var chunkVectors = MusicStream.renderingChunkVectors
    public var gan: GANConfig = .musika44k
    public var codec: CodecConfig = .musika44k
    /// A trained model's folder instead of random weights at `gan` / `codec`'s size.
    public var modelFolder: URL?
    /// Streams rendered at once, each on its own thread, as a server's listeners are (0 or 1: skip).
    public var concurrentStreams = 0
    /// Where the decoders take the phase from, overriding the codec's own (`generate --phase-from`):
    /// from the magnitude, DEC's phase head (about 37 % of DEC's multiply-adds) is never run.
    public var phaseSource: PhaseSource?
    /// Overrides the codec's `phaseIterations` (nil: its own).
    public var phaseIterations: Int?

    public init(threads: Int) { self.threads = threads }
  }

  public struct Speed: Sendable {
    public let precision: String
    public let audioSeconds: Double
    public let computeSeconds: Double
    public let firstAudioSeconds: Double
    /// Of `computeSeconds`: the generator's, DEC2's, DEC's and the inverse STFT's shares.
    public let generatorSeconds: Double
    public let decodeSeconds: DecodeStageSeconds
    public var realTimeFactor: Double { audioSeconds / computeSeconds }
  }

  public struct Memory: Sendable {
    public let audioSeconds: Double
    public let computeSeconds: Double
    /// (audio seconds, resident MiB) after each chunk.
    public let samples: [(Double, Double)]
    public var peak: Double { samples.map(\.1).max() ?? 0 }
    /// Resident MiB once the first minute has played, and at the end.
    public var afterFirstMinute: Double { samples.first { $0.0 >= 60 }?.1 ?? samples.last?.1 ?? 0 }
    public var atEnd: Double { samples.last?.1 ?? 0 }
    /// At the end, the part of the resident memory that is the process's own (RssAnon): the rest is
    /// mapped library code (libtorch alone is ~130 MiB of it), shared with every other process using it.
    public let ownAtEnd: Double
  }

  /// `streams` streams of `audioSecondsEach` rendered at once, each on its own thread, in `wallSeconds`.
  public struct Concurrent: Sendable {
    public let streams: Int
    public let precision: String
    public let audioSecondsEach: Double
    public let wallSeconds: Double
    /// Each stream's own real-time factor (its audio over the time it took), slowest first.
    public let streamFactors: [Double]
    /// Audio of all streams per second of wall time.
    public var realTimeFactor: Double { Double(streams) * audioSecondsEach / wallSeconds }
  }

  public struct Report: Sendable {
    /// The model measured: the folder's name, or the preset's.
    public let modelName: String
    /// Where its decoders take the phase from.
    public let phaseSource: PhaseSource
    /// Fast Griffin-Lim iterations on an integrated phase.
    public let phaseIterations: Int
    public let threads: Int
    public let generatorParameters: Int
    public let codecParameters: Int
    public let sgemmGFLOPS: Double
    /// Decoder multiply-accumulates per second of stereo audio (convolutions only), for the full-size
    /// codec; nil for another.
    public let decoderMACsPerAudioSecond: Double?
    public let coldFirstAudioSeconds: Double
  /// What `GANModel.warmUp` took at load (the first use of every kernel).
  public let warmUpSeconds: Double
    public let fp32: Speed
    public let bf16: Speed?
    public let memory: Memory?
    public let concurrent: Concurrent?
  }

  public let options: Options

  public init(options: Options) { self.options = options }

  public func run(progress: (String) -> Void = { _ in }) throws -> Report {
    try TorchRuntime.setThreadCount(options.threads)
    progress("sgemm reference…")
    let sgemm = withNoGrad { () -> Double in
      let g = Generator(seed: 1)
      let a = Tensor.randn([2048, 2048], generator: g)
      let b = Tensor.randn([2048, 2048], generator: g)
      _ = a.matmul(b).sum().item()
      let clock = ContinuousClock()
      let start = clock.now
      var runs = 0
      while (clock.now - start).seconds < 1.5 { _ = a.matmul(b).sum().item(); runs += 1 }
      return 2 * pow(2048, 3) * Double(runs) / (clock.now - start).seconds / 1e9
    }
    let model = try options.modelFolder.map { try GANModel.load(from: $0) }
      ?? GANModel.untrained(gan: options.gan, codec: options.codec, seed: 1)
    if let source = options.phaseSource { model.codec.phaseSource = source }
    if let iterations = options.phaseIterations { model.codec.phaseIterations = iterations }
    // Counted before readying the model, which frees the codec's encoders.
    let (generatorParameters, codecParameters) = (model.generator.parameterCount, model.codec.parameterCount)
    try model.packForGeneration()
    try model.setDecoderPrecision(.float32)
    // A conditioned model's defaults (the training set's mean tempo or density), as `generate` plays.
    let controls = try Controls(seed: 1).resolved(for: model.config)

    progress("first audio of a new stream on a just-loaded model (warmed at load)…")
    let warmUpSeconds = try model.warmUp()
    let clock = ContinuousClock()
    let coldStart = clock.now
    _ = try MusicStream(model: model, controls: try Controls(seed: 2).resolved(for: model.config)).read()
    let cold = (clock.now - coldStart).seconds

    progress(String(format: "%.0f s of audio, fp32…", options.seconds))
    let fp32 = try speed(model, controls, precision: "fp32")
    var bf16: Speed?
    if options.includeBF16 {
      try model.setDecoderPrecision(.bfloat16)
      progress(String(format: "%.0f s of audio, bf16…", options.seconds))
      bf16 = try speed(model, controls, precision: "bf16")
    }
    var concurrent: Concurrent?
    if options.concurrentStreams > 1 {
      progress("\(options.concurrentStreams) streams at once, \(bf16 == nil ? "fp32" : "bf16")…")
      concurrent = try streamsAtOnce(model, precision: bf16 == nil ? "fp32" : "bf16")
    }
    var memory: Memory?
    if options.streamMinutes > 0 {
      progress(String(format: "%.0f-minute stream, %@, sampling memory…", options.streamMinutes, bf16 == nil ? "fp32" : "bf16"))
      memory = try stream(model, controls)
    }
    let samplesPerWindow = Double(DecoderConvShapes.samplesPerWindow)
    let macs = Self.hasFullSizeDecoders(model.codec.config)
      ? Double(DecoderConvShapes.run(phaseFrom: model.codec.phaseSource).reduce(0) { $0 + $1.macs }) * 2
        * Double(options.codec.sampleRate) / samplesPerWindow : nil
    return Report(modelName: options.modelFolder?.standardizedFileURL.lastPathComponent ?? options.gan.name,
                  phaseSource: model.codec.phaseSource, phaseIterations: model.codec.phaseIterations, threads: TorchRuntime.threadCount, generatorParameters: generatorParameters,
                  codecParameters: codecParameters, sgemmGFLOPS: sgemm, decoderMACsPerAudioSecond: macs,
                  coldFirstAudioSeconds: cold, warmUpSeconds: warmUpSeconds, fp32: fp32, bf16: bf16, memory: memory,
                  concurrent: concurrent)
  }

  /// Warm time to first audio (best of 3), then the throughput of a stream from 0.
  private func speed(_ model: GANModel, _ controls: GenerationControls, precision: String) throws -> Speed {
    let clock = ContinuousClock()
    var first = Double.infinity
    for _ in 0..<3 {
      let start = clock.now
      _ = try MusicStream(model: model, controls: controls, chunkVectors: options.chunkVectors).read()
      first = min(first, (clock.now - start).seconds)
    }
    let stream = try MusicStream(model: model, controls: controls, chunkVectors: options.chunkVectors)
    let start = clock.now
    let audio = try stream.render(seconds: options.seconds)
    let elapsed = (clock.now - start).seconds
    let stages = stream.stageSeconds
    return Speed(precision: precision, audioSeconds: Double(audio.size(1)) / Double(model.sampleRate),
                 computeSeconds: elapsed, firstAudioSeconds: first, generatorSeconds: stages.generator,
                 decodeSeconds: stages.decode)
  }

  /// `concurrentStreams` streams (seeds 100, 101, …) rendering `seconds` each, every one on a thread of
  /// its own, as the studio's listeners are: libtorch's intra-op threads are shared among them.
  private func streamsAtOnce(_ model: GANModel, precision: String) throws -> Concurrent {
    let count = options.concurrentStreams
    let streams = try (0..<count).map { index in
      try MusicStream(model: model, controls: try Controls(seed: UInt64(100 + index)).resolved(for: model.config),
                      chunkVectors: options.chunkVectors)
    }
    let results = StreamResults(count: count)
    let done = DispatchGroup()
    let clock = ContinuousClock()
    let start = clock.now
    let seconds = options.seconds
    for (index, stream) in streams.enumerated() {
      done.enter()
      Thread {
        let began = clock.now
        let result = Result { () throws -> Double in
          let audio = try stream.render(seconds: seconds)
          return Double(audio.size(1)) / Double(model.sampleRate) / (clock.now - began).seconds
        }
        results.set(index, result)
        done.leave()
      }.start()
    }
    done.wait()
    let wall = (clock.now - start).seconds
    let factors = try results.all().map { try $0!.get() }
    return Concurrent(streams: count, precision: precision, audioSecondsEach: seconds, wallSeconds: wall,
                      streamFactors: factors.sorted())
  }

  private func stream(_ model: GANModel, _ controls: GenerationControls) throws -> Memory {
    let stream = try MusicStream(model: model, controls: controls, chunkVectors: options.chunkVectors)
    let total = Int(options.streamMinutes * 60 * Double(model.sampleRate))
    var samples: [(Double, Double)] = []
    let clock = ContinuousClock()
    let start = clock.now
    while stream.position < total {
      _ = try stream.read()
      samples.append((Double(stream.position) / Double(model.sampleRate), Self.residentMiB()))
    }
    return Memory(audioSeconds: Double(stream.position) / Double(model.sampleRate),
                  computeSeconds: (clock.now - start).seconds, samples: samples, ownAtEnd: Self.residentMiB("RssAnon"))
  }

  /// Whether `codec`'s decoders have the full-size shapes `DecoderConvShapes` counts.
  static func hasFullSizeDecoders(_ codec: CodecConfig) -> Bool {
    let full = CodecConfig.musika44k
    return (codec.sampleRate, codec.nFFT, codec.hop, codec.latentChannels, codec.vectorChannels)
      == (full.sampleRate, full.nFFT, full.hop, full.latentChannels, full.vectorChannels)
      && codec.decoderWidths == full.decoderWidths && codec.latentDecoderWidths == full.latentDecoderWidths
  }

  /// VmRSS (or another field of /proc/self/status) of this process in MiB (Linux), 0 where unknown.
  static func residentMiB(_ field: String = "VmRSS") -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
          let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kilobytes / 1024
  }
}

/// Each concurrent stream's outcome, written from its own thread.
private final class StreamResults: @unchecked Sendable {
  private let lock = NSLock()
  private var values: [Result<Double, Error>?]

  init(count: Int) { values = Array(repeating: nil, count: count) }

  func set(_ index: Int, _ result: Result<Double, Error>) { lock.withLock { values[index] = result } }

  func all() -> [Result<Double, Error>?] { lock.withLock { values } }
}
