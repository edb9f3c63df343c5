import Audio
import Foundation
import Musika
import OpenAPIRuntime

/// The studio's API as openapi.yaml describes it: the generated server code decodes and validates
/// each request, these handlers turn it into a call on `StudioService` and the answer back into the
/// generated response types. Failures are thrown as `StudioError`; `JSONErrorMiddleware` writes them.
struct StudioHandlers: APIProtocol {
  let service: StudioService

  func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
    .ok(.init(body: .json(.init(status: "ok", musika: MusikaVersion.string))))
  }

  func listModels(_ input: Operations.ListModels.Input) async throws -> Operations.ListModels.Output {
    let models = try await offload { [service] in try service.modelNames().map { try service.describe($0) } }
    return .ok(.init(body: .json(models.map(Components.Schemas.Model.init))))
  }

  func generateClip(_ input: Operations.GenerateClip.Input) async throws -> Operations.GenerateClip.Output {
    guard case .json(let clip) = input.body else { throw StudioError(.unsupportedMediaType, "send the clip as JSON") }
    let request = try ClipRequest(clip)
    let render = try await offload { [service] in try service.render(request) }
    let body = HTTPBody(render.bytes, length: .known(Int64(render.byteCount)))
    let headers = Operations.GenerateClip.Output.Ok.Headers(
      xMusikaCommand: render.command, contentDisposition: "attachment; filename=\"\(render.fileName)\"")
    return .ok(.init(headers: headers, body: render.format == .wav ? .audioWav(body) : .audioFlac(body)))
  }

  func clipSpectrogram(_ input: Operations.ClipSpectrogram.Input) async throws -> Operations.ClipSpectrogram.Output {
    guard case .json(let clip) = input.body else { throw StudioError(.unsupportedMediaType, "send the clip as JSON") }
    let request = try ClipRequest(clip)
    let png = try await offload { [service] in try service.spectrogram(request) }
    return .ok(.init(body: .png(HTTPBody(png))))
  }

  func openStream(_ input: Operations.OpenStream.Input) async throws -> Operations.OpenStream.Output {
    guard case .json(let open) = input.body else { throw StudioError(.unsupportedMediaType, "send the stream's controls as JSON") }
    let request = StreamRequest(model: open.model, controls: try Controls(seed: open.seed, truncation: open.truncation,
                                                                          tempo: open.tempo, density: open.density))
    let stream = try await offload { [service] in try service.openStream(request) }
    return .created(.init(body: .json(.init(id: stream.id, sampleRate: stream.stream.sampleRate, channels: 2,
                                            controls: .init(stream.controls)))))
  }

  func nextChunk(_ input: Operations.NextChunk.Input) async throws -> Operations.NextChunk.Output {
    let stream = try service.stream(input.path.id)
    let chunk = try await offload { try stream.next() }
    let format: PCMStreamEncoder.Format = input.query.format == .s16 ? .s16 : .f32
    let bytes = PCMStreamEncoder(format: format, sampleRate: stream.stream.sampleRate, channels: 2).encode(chunk.interleaved())
    return .ok(.init(headers: .init(xStreamStart: chunk.start, xSampleRate: stream.stream.sampleRate),
                     body: .binary(HTTPBody(bytes))))
  }

  func streamAudio(_ input: Operations.StreamAudio.Input) async throws -> Operations.StreamAudio.Output {
    let bytes = try service.audio(of: input.path.id, seconds: input.query.seconds)
    return .ok(.init(body: .audioWav(HTTPBody(bytes, length: .unknown))))
  }

  func changeControls(_ input: Operations.ChangeControls.Input) async throws -> Operations.ChangeControls.Output {
    guard case .json(let change) = input.body else { throw StudioError(.unsupportedMediaType, "send the controls as JSON") }
    let values = try Controls(change)
    let now = try await offload { [service] in try service.change(input.path.id, values) }
    return .ok(.init(body: .json(.init(now))))
  }

  func closeStream(_ input: Operations.CloseStream.Input) async throws -> Operations.CloseStream.Output {
    try service.close(input.path.id)
    return .noContent(.init())
  }
}

// MARK: Between the generated types and the service's

extension ClipRequest {
  init(_ clip: Components.Schemas.Clip) throws {
    let controls = try Controls(seed: clip.seed, truncation: clip.truncation, tempo: clip.tempo, density: clip.density,
                                densityCurve: clip.densityCurve)
    self.init(model: clip.model, seconds: clip.seconds, format: clip.format.map { $0 == .flac ? .flac : .wav },
              controls: controls)
  }
}

extension Controls {
  init(_ controls: Components.Schemas.Controls) throws {
    try self.init(seed: controls.seed, truncation: controls.truncation, tempo: controls.tempo, density: controls.density)
  }

  /// The JSON schema's seed is a signed 64-bit integer; the engine's is unsigned.
  init(seed: Int64?, truncation: Double?, tempo: Double?, density: Double?, densityCurve: [[Double]]? = nil) throws {
    if let seed, seed < 0 { throw StudioError(.badRequest, "seed must be 0 or more (got \(seed))") }
    self.init(seed: seed.map { UInt64($0) }, truncation: truncation, tempo: tempo, density: density, densityCurve: densityCurve)
  }
}

extension Components.Schemas.Controls {
  init(_ controls: Controls) {
    self.init(seed: controls.seed.map { Int64(clamping: $0) }, truncation: controls.truncation, tempo: controls.tempo,
              density: controls.density)
  }
}

extension Components.Schemas.Model {
  init(_ model: ModelDescription) {
    self.init(name: model.name, architecture: model.architecture, sampleRate: model.sampleRate,
              trainedSteps: model.trainedSteps, defaultTruncation: model.defaultTruncation,
              tempo: model.tempo.map(Components.Schemas.Range.init), density: model.density.map(Components.Schemas.Range.init),
              card: model.card)
  }
}

extension Components.Schemas.Range {
  init(_ scale: Conditioning.Scale) {
    self.init(mean: scale.mean, deviation: scale.deviation, minimum: scale.minimum, maximum: scale.maximum)
  }
}
