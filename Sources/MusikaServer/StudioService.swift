import Audio
import Foundation
import Musika
import Torch

/// Everything Musika Studio does, free of HTTP: the models of a folder, clip renders and live
/// streams, each within its limits. The router (`buildRouter`) only translates requests to calls here.
public final class StudioService: @unchecked Sendable {
  public struct Limits: Sendable {
    /// Longest clip, in seconds.
    public var maxClipSeconds = 600.0
    /// Clips rendering at once; one more is refused with 429.
    public var maxConcurrentRenders = 2
    /// Streams open at once; one more is refused with 429.
    public var maxStreams = 4
    /// A stream nobody has pulled from for this long is closed (a page that went away).
    public var streamIdleSeconds = 30.0
    /// A client that stops reading a clip or a stream's WAV for this long loses its place.
    public var readerPatienceSeconds = 30.0

    public init() {}
  }

  public let modelsFolder: URL
  public let limits: Limits
  private let lock = NSLock()
  private var loaded: [String: GANModel] = [:]
  private var rendering = 0
  private var streams: [String: StudioStream] = [:]

  /// The model listed first (the page preselects it), when the folder has it: the CLI's default.
  public let preferredModel: String?
  /// What each model's decoders run in once loaded.
  public let decoderPrecision: DType

  /// `modelsFolder` holds model folders (each with config.json), or is one.
  public init(modelsFolder: URL, limits: Limits = Limits(), preferredModel: String? = nil,
              decoderPrecision: DType = .float32) {
    self.modelsFolder = modelsFolder
    self.limits = limits
    self.preferredModel = preferredModel
    self.decoderPrecision = decoderPrecision
  }

  // MARK: Models

  /// Model names: sub-folders holding a generator (or the folder's own name if it is a model), the
  /// preferred one first, then by name. Codec-only folders, such as the bundled `models/codec`, are
  /// not models one can play.
  public func modelNames() -> [String] {
    if GANModel.isModelFolder(modelsFolder) { return [modelsFolder.lastPathComponent] }
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: modelsFolder.path)) ?? []
    return entries.filter { GANModel.isModelFolder(modelsFolder.appendingPathComponent($0)) }
      .sorted { ($0 == preferredModel ? 0 : 1, $0) < ($1 == preferredModel ? 0 : 1, $1) }
  }

  func folder(of name: String) -> URL {
    modelNames() == [modelsFolder.lastPathComponent] && name == modelsFolder.lastPathComponent
      ? modelsFolder : modelsFolder.appendingPathComponent(name)
  }

  /// The loaded model `name` (loaded and warmed up once, then shared: streams on one model stay
  /// deterministic).
  public func model(_ name: String) throws -> GANModel {
    guard modelNames().contains(name) else {
      throw StudioError(.notFound, "unknown model '\(name)'; GET /api/models lists \(modelNames())")
    }
    if let model = lock.withLock({ loaded[name] }) { return model }
    let model = try GANModel.load(from: folder(of: name))
    try model.packForGeneration()
    try model.setDecoderPrecision(decoderPrecision)
    // Build the kernels a stream's first chunk needs now, so that a listener's first audio comes fast.
    try model.warmUp()
    return lock.withLock {
      if let other = loaded[name] { return other }
      loaded[name] = model
      return model
    }
  }

  public func describe(_ name: String) throws -> ModelDescription {
    let model = try model(name)
    return ModelDescription(
      name: name, architecture: model.config.gan.name, sampleRate: model.sampleRate, trainedSteps: model.config.trainedSteps,
      defaultTruncation: model.config.defaultTruncation, tempo: model.config.conditioning.tempo,
      density: model.config.conditioning.density, card: model.card)
  }

  // MARK: Clips

  /// A clip ready to send: WAV streams out as it renders (its length is known up front); FLAC is
  /// encoded whole, in memory. No temporary files either way.
  public func render(_ request: ClipRequest) throws -> ClipRender {
    let (model, controls) = try prepare(request)
    let format = request.format ?? .wav
    let command = command(for: request, model: model)
    let fileName = "musika-seed\(request.controls.seed ?? 0).\(format.rawValue)"
    let stream = try MusicStream(model: model, controls: controls)
    switch format {
    case .wav:
      let writer = WAVStreamWriter(stream: stream, seconds: request.seconds, slot: try takeLease(),
                                       patienceSeconds: limits.readerPatienceSeconds)
      return ClipRender(format: format, command: command, fileName: fileName, byteCount: writer.byteCount!,
                        bytes: AsyncThrowingStream(unfolding: { try await offload { try writer.next() } }))
    case .flac:
      let audio = try withLease { try stream.render(seconds: request.seconds) }
      let data = try AudioFile.encoded(audio, sampleRate: model.sampleRate, as: format.rawValue)
      return ClipRender(format: format, command: command, fileName: fileName, byteCount: data.count,
                        bytes: AsyncThrowingStream { $0.yield(ArraySlice(data)); $0.finish() })
    }
  }

  /// Widest spectrogram picture, in columns: longer clips average neighbouring frames.
  static let spectrogramColumns = 2048

  /// A spectrogram picture (PNG) of the clip `request` describes (the left channel), rendered again:
  /// generation is deterministic, so it shows the same audio, and no client's request evicts another's.
  public func spectrogram(_ request: ClipRequest) throws -> Data {
    let (model, controls) = try prepare(request)
    let audio = try withLease {
      try MusicStream(model: model, controls: controls, chunkVectors: MusicStream.renderingChunkVectors).render(seconds: request.seconds)
    }
    var spectrum = try model.codec.frontEnd.analyze(audio.narrow(dim: 0, start: 0, length: 1)).select(dim: 0, index: 0)
    let (bins, frames) = (spectrum.size(0), spectrum.size(1))
    let factor = (frames + Self.spectrogramColumns - 1) / Self.spectrogramColumns
    if factor > 1 {  // (bins, frames) → (bins, frames / factor)
      spectrum = spectrum.narrow(dim: 1, start: 0, length: frames / factor * factor)
        .reshape(bins, frames / factor, factor).mean(dims: [2])
    }
    return SpectrogramImage.png([spectrum])
  }

  /// One of the `maxConcurrentRenders` places, given back when the returned lease goes away.
  private func takeLease() throws -> Lease {
    try lock.withLock {
      guard rendering < limits.maxConcurrentRenders else {
        throw StudioError(.tooManyRequests, "\(rendering) clips are rendering (this server's cap is "
          + "\(limits.maxConcurrentRenders)); try again in a moment")
      }
      rendering += 1
    }
    return Lease { [self] in lock.withLock { rendering -= 1 } }
  }

  private func withLease<T>(_ body: () throws -> T) throws -> T {
    let slot = try takeLease()
    return try withExtendedLifetime(slot) { try body() }
  }

  /// The model and controls of a clip, its length checked against the cap.
  private func prepare(_ request: ClipRequest) throws -> (GANModel, GenerationControls) {
    let model = try model(request.model)
    guard request.seconds > 0, request.seconds.isFinite else {
      throw StudioError(.badRequest, "seconds must be positive (got \(request.seconds))")
    }
    guard request.seconds <= limits.maxClipSeconds else {
      throw StudioError(.contentTooLarge, "seconds \(request.seconds) is above this server's cap of \(limits.maxClipSeconds)")
    }
    // A clip must hold one analysis window (its spectrogram needs it; fewer samples is no music anyway).
    let shortest = Double(model.codec.frontEnd.stft.nFFT) / Double(model.sampleRate)
    guard request.seconds >= shortest else {
      throw StudioError(.badRequest, String(format: "seconds must be at least %.3f (got %g)", shortest, request.seconds))
    }
    return (model, try controls(request.controls, for: model))
  }

  func controls(_ c: Controls, for model: GANModel) throws -> GenerationControls {
    do {
      return try c.resolved(for: model.config)
    } catch let error as MusikaError {
      throw StudioError(.badRequest, "\(error)")
    }
  }

  private func command(for request: ClipRequest, model: GANModel) -> String {
    let c = request.controls
    var words = ["musika", "generate", "--model", folder(of: request.model).path, "--seconds", Self.number(request.seconds),
                 "--seed", String(c.seed ?? 0), "--truncation", Self.number(c.truncation ?? model.config.defaultTruncation)]
    if let tempo = c.tempo { words += ["--tempo", Self.number(tempo)] }
    if let density = c.density { words += ["--density", Self.number(density)] }
    if c.densityCurve != nil { words += ["--density-curve", "curve.txt"] }
    words += ["-o", "musika-seed\(c.seed ?? 0).\((request.format ?? .wav).rawValue)"]
    return words.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
  }

  static func number(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x) }

  // MARK: Streams

  /// Opens a stream; it lives until `close`, or until nobody pulls from it for `streamIdleSeconds`.
  public func openStream(_ request: StreamRequest) throws -> StudioStream {
    let model = try model(request.model)
    let controls = try controls(request.controls, for: model)
    let stream = try StudioStream(id: UUID().uuidString.lowercased(), modelName: request.model,
                                  stream: MusicStream(model: model, controls: controls, chunkVectors: 16),
                                  controls: request.controls)
    try lock.withLock {
      reapIdleStreams()
      guard streams.count < limits.maxStreams else {
        throw StudioError(.tooManyRequests, "\(streams.count) streams are open (this server's cap is \(limits.maxStreams)); "
          + "close one first")
      }
      streams[stream.id] = stream
    }
    return stream
  }

  public func stream(_ id: String) throws -> StudioStream {
    guard let stream = lock.withLock({ streams[id] }) else {
      throw StudioError(.notFound, "no open stream '\(id)' (it was closed, or idle for over \(Int(limits.streamIdleSeconds)) s)")
    }
    return stream
  }

  /// Changes the controls of stream `id`; fields left out keep their values.
  public func change(_ id: String, _ values: Controls) throws -> Controls {
    let stream = try stream(id)
    let merged = stream.controls.merged(with: values)
    try stream.stream.change(try controls(merged, for: stream.stream.model))
    stream.controls = merged
    return merged
  }

  /// Stream `id` as one 16-bit WAV, `seconds` long or endless, made as the reader pulls; the stream
  /// closes after the last byte or when the reader goes away.
  public func audio(of id: String, seconds: Double?) throws -> AsyncThrowingStream<ArraySlice<UInt8>, Error> {
    let stream = try stream(id)
    if let seconds, !(seconds > 0 && seconds <= Self.longestStreamSeconds) {
      throw StudioError(.badRequest, "seconds must be above 0 and at most \(Int(Self.longestStreamSeconds)) (got \(seconds))")
    }
    guard stream.attachAudioReader() else {
      throw StudioError(.conflict, "stream '\(id)' already has an audio reader; open another stream")
    }
    let rate = stream.stream.sampleRate
    let writer = WAVStreamWriter(sampleRate: rate, frames: seconds.map { Int(($0 * Double(rate)).rounded()) },
                                 holding: Lease { [self] in try? close(id) },
                                 patienceSeconds: limits.readerPatienceSeconds, read: { [self] in
      // A stream closed meanwhile (DELETE, or idle) ends its audio: no generator outlives the cap.
      guard lock.withLock({ streams[id] === stream }) else {
        throw StudioError(.gone, "stream '\(id)' was closed")
      }
      return try stream.next().samples
    })
    return AsyncThrowingStream(unfolding: { try await offload { try writer.next() } })
  }

  public func close(_ id: String) throws {
    guard lock.withLock({ streams.removeValue(forKey: id) }) != nil else {
      throw StudioError(.notFound, "no open stream '\(id)'")
    }
  }

  public var openStreamCount: Int { lock.withLock { streams.count } }

  /// The longest `seconds` an audio request of a stream may ask for (a day).
  static let longestStreamSeconds = 86_400.0

  private func reapIdleStreams() {
    let now = Date()
    for (id, stream) in streams where now.timeIntervalSince(stream.lastPull) > limits.streamIdleSeconds {
      streams[id] = nil
    }
  }
}

/// A live stream of the studio: the engine's `MusicStream` and the controls asked for so far.
public final class StudioStream: @unchecked Sendable {
  public let id: String
  public let modelName: String
  public let stream: MusicStream
  private let lock = NSLock()
  private var _controls: Controls
  private var _lastPull = Date()

  init(id: String, modelName: String, stream: MusicStream, controls: Controls) {
    self.id = id
    self.modelName = modelName
    self.stream = stream
    _controls = controls
  }

  public var controls: Controls {
    get { lock.withLock { _controls } }
    set { lock.withLock { _controls = newValue } }
  }

  var lastPull: Date { lock.withLock { _lastPull } }

  private var hasAudioReader = false

  /// Claims the stream's one audio reader; false when another has it.
  func attachAudioReader() -> Bool {
    lock.withLock {
      if hasAudioReader { return false }
      hasAudioReader = true
      return true
    }
  }

  /// The next chunk: (2, frames) float32 from sample `start` of the stream.
  public func next() throws -> AudioChunk {
    lock.withLock { _lastPull = Date() }
    let start = stream.position
    return AudioChunk(start: start, samples: try stream.read())
  }
}
