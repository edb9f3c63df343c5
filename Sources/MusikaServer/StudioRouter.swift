import Audio
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Musika
import OpenAPIHummingbird
import OpenAPIRuntime
import Torch

/// How `musika serve` runs: where, which models, which limits.
public struct StudioOptions: Sendable {
  public var host = "127.0.0.1"
  public var port = 8080
  public var modelsFolder: URL
  public var limits = StudioService.Limits()
  /// The model the page preselects (listed first), when the folder has it.
  public var preferredModel: String?
  /// What the models' decoders run in (`DecoderPrecision`, as `musika serve --precision` chose it).
  public var decoderPrecision: DType = .float32

  public init(modelsFolder: URL) { self.modelsFolder = modelsFolder }
}

/// The studio as a Hummingbird application: the page, the API (its routes generated from
/// openapi.yaml, served as /openapi.json and /openapi.yaml) and /health. It stops cleanly on
/// SIGINT/SIGTERM (`runService()`).
public func buildApplication(_ options: StudioOptions, logger: Logger? = nil) throws -> some ApplicationProtocol {
  var logger = logger ?? Logger(label: "musika.serve")
  if logger.logLevel > .info { logger.logLevel = .info }
  let service = StudioService(modelsFolder: options.modelsFolder, limits: options.limits,
                              preferredModel: options.preferredModel, decoderPrecision: options.decoderPrecision)
  return Application(router: try buildRouter(service: service),
                     configuration: .init(address: .hostname(options.host, port: options.port), serverName: "musika"),
                     logger: logger)
}

/// Routes of the studio over `service`.
public func buildRouter(service: StudioService) throws -> Router<BasicRequestContext> {
  let router = Router()
  router.add(middleware: LogRequestsMiddleware(.info))
  router.add(middleware: JSONErrorMiddleware())
  router.add(middleware: RequestBodyLimitMiddleware(maxBytes: 1 << 20))
  router.add(middleware: FileMiddleware(try StudioResources.pageFolder(), searchForIndexHtml: true))
  let spec = try StudioResources.openAPISpec()
  router.get("/openapi.json") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: spec.json)))
  }
  router.get("/openapi.yaml") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(bytes: spec.yaml)))
  }
  try StudioHandlers(service: service).registerHandlers(on: router)
  return router
}

/// Turns every failure into `{"error": "…"}` with its status: StudioError's own, Hummingbird's
/// (unknown routes…), 500 for anything else.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
    do {
      return try await next(request, context)
    } catch let error as StudioError {
      return errorResponse(error.status, error.message)
    } catch let error as ServerError {
      // From the generated code: a request that does not fit openapi.yaml, or a handler's failure.
      if let error = error.underlyingError as? StudioError { return errorResponse(error.status, error.message) }
      let (status, message) = describe(error)
      if status == .internalServerError { context.logger.error("\(request.method) \(request.uri.path): \(error)") }
      return errorResponse(status, message)
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

/// What went wrong in a request the generated code refused, for a person: the status, and a message
/// that names the field.
private func describe(_ error: ServerError) -> (HTTPResponse.Status, String) {
  // The runtime wraps a decoding failure in its own (internal) error enum: look inside its payload.
  var cause: any Error = error.underlyingError
  for _ in 0..<3 where !(cause is DecodingError) {
    guard let inner = Mirror(reflecting: cause).children.lazy.compactMap({ $0.value as? any Error }).first else { break }
    cause = inner
  }
  guard let decoding = cause as? DecodingError else {
    if error.httpStatus == .unsupportedMediaType {
      let sent = error.request.headerFields[.contentType] ?? "none"
      return (.unsupportedMediaType, "send the body as JSON, with Content-Type: application/json (got \(sent))")
    }
    let detail = "\(cause)"
    return (error.httpStatus, detail == error.causeDescription ? detail : "\(error.causeDescription): \(detail)")
  }
  func field(_ path: [any CodingKey]) -> String { path.map(\.stringValue).joined(separator: ".") }
  switch decoding {
  case .keyNotFound(let key, _):
    return (.badRequest, "missing field '\(key.stringValue)'")
  case .typeMismatch(_, let context) where context.codingPath.isEmpty:
    return (.badRequest, "the body must be a JSON object")
  case .typeMismatch(_, let context), .valueNotFound(_, let context):
    return (.badRequest, "field '\(field(context.codingPath))' has the wrong type (\(context.debugDescription))")
  case .dataCorrupted(let context) where context.codingPath.isEmpty:
    return (.badRequest, "the body is not valid JSON")
  case .dataCorrupted(let context) where context.debugDescription.hasPrefix("Additional properties are disabled"):
    return (.badRequest, "unknown field '\(field(context.codingPath))' (GET /openapi.json lists the fields)")
  case .dataCorrupted(let context):
    return (.badRequest, "field '\(field(context.codingPath))': \(context.debugDescription)")
  @unknown default:
    return (.badRequest, "the body does not fit: \(decoding)")
  }
}

/// Request bodies are small JSON documents: a longer one is refused with 413 before anything reads it.
struct RequestBodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
  let maxBytes: Int

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
    var request = request
    do {
      _ = try await request.collectBody(upTo: maxBytes)
    } catch let error as HTTPResponseError where error.status == .contentTooLarge {
      throw StudioError(.contentTooLarge, "the request body is over \(maxBytes / 1024) KiB")
    }
    return try await next(request, context)
  }
}

/// Runs blocking model work on a global queue, off the server's event loops.
func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
  try await withCheckedThrowingContinuation { continuation in
    DispatchQueue.global(qos: .userInitiated).async { continuation.resume(with: Result { try work() }) }
  }
}
