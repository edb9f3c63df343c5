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

    public init() {}
  }

  public let modelsFolder: URL
  public let limits: Limits
  private let lock = NSLock()
  private var loaded: [String: GANModel] = [:]
  private var rendering = 0
  private var streams: [String: StudioStream] = [:]

  /// `modelsFolder` holds model folders (each with config.json), or is one.
  public init(modelsFolder: URL, limits: Limits = Limits()) {
    self.modelsFolder = modelsFolder
    self.limits = limits
  }

  // MARK: Models

  /// Model names: sub-folders holding a generator (or the folder's own name if it is a model).
  /// Codec-only folders, such as the bundled `models/codec`, are not models one can play.
  public func modelNames() -> [String] {
    if GANModel.isModelFolder(modelsFolder) { return [modelsFolder.lastPathComponent] }
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: modelsFolder.path)) ?? []
    return entries.filter { GANModel.isModelFolder(modelsFolder.appendingPathComponent($0)) }.sorted()
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

  /// Renders a clip: (audio file bytes, the command line that makes the same file).
  public func render(_ request: ClipRequest) throws -> (data: Data, command: String) {
    let (model, audio) = try clipAudio(request)
    let data = try Self.encode(audio, sampleRate: model.sampleRate, extension: (request.format ?? .wav).rawValue)
    return (data, command(for: request, model: model))
  }

  /// Widest spectrogram picture, in columns: longer clips average neighbouring frames.
  static let spectrogramColumns = 2048

  /// A spectrogram picture (PNG) of the clip `request` describes (the left channel). The page asks
  /// for it right after the clip itself, which is then reused rather than rendered again.
  public func spectrogram(_ request: ClipRequest) throws -> Data {
    let (model, audio) = try clipAudio(request)
    var spectrum = try model.codec.frontEnd.analyze(audio.narrow(dim: 0, start: 0, length: 1)).select(dim: 0, index: 0)
    let (bins, frames) = (spectrum.size(0), spectrum.size(1))
    let factor = (frames + Self.spectrogramColumns - 1) / Self.spectrogramColumns
    if factor > 1 {  // (bins, frames) → (bins, frames / factor)
      spectrum = spectrum.narrow(dim: 1, start: 0, length: frames / factor * factor)
        .reshape(bins, frames / factor, factor).mean(dims: [2])
    }
    return try Self.temporaryFile(extension: "png") { try SpectrogramImage.write([spectrum], to: $0) }
  }

  /// The audio of a clip (2, samples). Rendered for each request: generation is deterministic, so a
  /// spectrogram of the same request shows the same audio, and no client's request evicts another's.
  private func clipAudio(_ request: ClipRequest) throws -> (GANModel, Tensor) {
    let (model, controls) = try prepare(request)
    let audio = try withRenderSlot { try MusicStream(model: model, controls: controls).render(seconds: request.seconds) }
    return (model, audio)
  }

  private func withRenderSlot<T>(_ body: () throws -> T) throws -> T {
    try lock.withLock {
      guard rendering < limits.maxConcurrentRenders else {
        throw StudioError(.tooManyRequests, "\(rendering) clips are rendering (this server's cap is "
          + "\(limits.maxConcurrentRenders)); try again in a moment")
      }
      rendering += 1
    }
    defer { lock.withLock { rendering -= 1 } }
    return try body()
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

  static func encode(_ audio: Tensor, sampleRate: Int, extension ext: String) throws -> Data {
    try temporaryFile(extension: ext) { try AudioFile.write(audio, sampleRate: sampleRate, to: $0) }
  }

  private static func temporaryFile(extension ext: String, _ write: (URL) throws -> Void) throws -> Data {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("musika-studio-\(UUID()).\(ext)")
    defer { try? FileManager.default.removeItem(at: url) }
    try write(url)
    return try Data(contentsOf: url)
  }

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

  public func close(_ id: String) throws {
    guard lock.withLock({ streams.removeValue(forKey: id) }) != nil else {
      throw StudioError(.notFound, "no open stream '\(id)'")
    }
  }

  public var openStreamCount: Int { lock.withLock { streams.count } }

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

  /// The next chunk: (2, frames) float32 from sample `start` of the stream.
  public func next() throws -> AudioChunk {
    lock.withLock { _lastPull = Date() }
    let start = stream.position
    return AudioChunk(start: start, samples: try stream.read())
  }
}
