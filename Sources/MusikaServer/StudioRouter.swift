import Audio
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Musika

/// How `musika serve` runs: where, which models, which limits.
public struct StudioOptions: Sendable {
  public var host = "127.0.0.1"
  public var port = 8080
  public var modelsFolder: URL
  public var limits = StudioService.Limits()

  public init(modelsFolder: URL) { self.modelsFolder = modelsFolder }
}

/// The studio as a Hummingbird application: the page, the API (documented at /openapi.json) and
/// /health. It stops cleanly on SIGINT/SIGTERM (`runService()`).
public func buildApplication(_ options: StudioOptions, logger: Logger? = nil) -> some ApplicationProtocol {
  var logger = logger ?? Logger(label: "musika.serve")
  if logger.logLevel > .info { logger.logLevel = .info }
  let service = StudioService(modelsFolder: options.modelsFolder, limits: options.limits)
  return Application(router: buildRouter(service: service),
                     configuration: .init(address: .hostname(options.host, port: options.port), serverName: "musika"),
                     logger: logger)
}

/// Routes of the studio over `service`.
public func buildRouter(service: StudioService) -> Router<BasicRequestContext> {
  let router = Router()
  router.add(middleware: LogRequestsMiddleware(.info))
  router.add(middleware: JSONErrorMiddleware())
  router.get("/health") { _, _ in try json(["status": "ok", "musika": MusikaVersion.string]) }
  router.get("/") { _, _ in
    Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: StudioPage.html)))
  }
  router.get("/openapi.json") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: StudioOpenAPI.json)))
  }

  let api = router.group("api")
  api.get("models") { _, _ in
    try json(try await offload { try service.modelNames().map { try service.describe($0) } })
  }
  api.post("generate") { request, _ in
    let clip = try ClipRequest.decode(try await body(of: request))
    let (data, command) = try await offload { try service.render(clip) }
    let format = clip.format ?? .wav
    return Response(status: .ok, headers: [
      .contentType: format == .wav ? "audio/wav" : "audio/flac",
      .contentDisposition: "attachment; filename=\"musika-seed\(clip.controls.seed ?? 0).\(format.rawValue)\"",
      HTTPField.Name("X-Musika-Command")!: command,
    ], body: .init(byteBuffer: ByteBuffer(bytes: data)))
  }
  api.post("spectrogram") { request, _ in
    let clip = try ClipRequest.decode(try await body(of: request))
    let png = try await offload { try service.spectrogram(clip) }
    return Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: png)))
  }
  api.post("streams") { request, _ in
    let open = try StreamRequest.decode(try await body(of: request))
    let stream = try await offload { try service.openStream(open) }
    return try json(StreamOpened(id: stream.id, sampleRate: stream.stream.sampleRate, channels: 2,
                                 controls: stream.controls), status: .created)
  }
  api.get("streams/:id/next") { request, context in
    let stream = try service.stream(try context.parameters.require("id"))
    let float = request.uri.queryParameters["format"].map(String.init) != "s16"
    let chunk = try await offload { try stream.next() }
    let encoder = PCMStreamEncoder(format: float ? .f32 : .s16, sampleRate: stream.stream.sampleRate, channels: 2)
    return Response(status: .ok, headers: [
      .contentType: "application/octet-stream",
      HTTPField.Name("X-Stream-Start")!: String(chunk.start),
      HTTPField.Name("X-Sample-Rate")!: String(stream.stream.sampleRate),
    ], body: .init(byteBuffer: ByteBuffer(bytes: encoder.encode(chunk.interleaved()))))
  }
  api.get("streams/:id/audio") { request, context in
    let id = try context.parameters.require("id")
    let stream = try service.stream(id)
    let limit = request.uri.queryParameters["seconds"].flatMap { Double(String($0)) }
    let encoder = PCMStreamEncoder(format: .s16, sampleRate: stream.stream.sampleRate, channels: 2)
    return Response(status: .ok, headers: [.contentType: "audio/wav"], body: .init { writer in
      // Until the client goes (a failed write) or `seconds` have been sent; either way the stream closes.
      defer { try? service.close(id) }
      try await writer.write(ByteBuffer(bytes: encoder.wavHeader()))
      var sent = 0
      let total = limit.map { Int($0 * Double(stream.stream.sampleRate)) }
      while total.map({ sent < $0 }) ?? true {
        var chunk = try await offload { try stream.next() }
        if let total { chunk = chunk.prefix(total - sent) }
        try await writer.write(ByteBuffer(bytes: encoder.encode(chunk.interleaved())))
        sent += chunk.frames
      }
      try await writer.finish(nil)
    })
  }
  api.post("streams/:id/controls") { request, context in
    let id = try context.parameters.require("id")
    let data = try await body(of: request)
    try StrictJSON.check(data, allowed: Controls.keys.subtracting(["densityCurve"]))
    let values: Controls = try StrictJSON.decode(data)
    return try json(try await offload { try service.change(id, values) })
  }
  api.delete("streams/:id") { _, context in
    try service.close(try context.parameters.require("id"))
    return Response(status: .noContent)
  }
  return router
}

struct StreamOpened: Codable {
  var id: String
  var sampleRate: Int
  var channels: Int
  var controls: Controls
}

/// Turns every failure into `{"error": "…"}` with its status: StudioError's own, Hummingbird's
/// (unknown routes…), 500 for anything else.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
    do {
      return try await next(request, context)
    } catch let error as StudioError {
      return errorResponse(error.status, error.message)
    } catch let error as HTTPError {
      return errorResponse(error.status, error.body ?? "\(error.status.reasonPhrase)")
    } catch {
      context.logger.error("\(request.method) \(request.uri.path): \(error)")
      return errorResponse(.internalServerError, "\(error)")
    }
  }

  private func errorResponse(_ status: HTTPResponse.Status, _ message: String) -> Response {
    let body = (try? JSONEncoder().encode(["error": message])) ?? Data()
    return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
  }
}

/// Request bodies are small JSON documents.
private func body(of request: Request) async throws -> Data {
  var request = request
  do {
    return Data(try await request.collectBody(upTo: 1 << 20).readableBytesView)
  } catch {
    throw StudioError(.contentTooLarge, "the request body is over 1 MiB")
  }
}

private func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys]
  return Response(status: status, headers: [.contentType: "application/json"],
                  body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
}

/// Runs blocking model work on a global queue, off the server's event loops.
func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
  try await withCheckedThrowingContinuation { continuation in
    DispatchQueue.global(qos: .userInitiated).async { continuation.resume(with: Result { try work() }) }
  }
}
