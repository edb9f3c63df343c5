import Foundation
import HTTPTypes
import Musika

/// POST /api/generate: a clip.
public struct ClipRequest: Sendable, Equatable {
  public enum Format: String, Codable, Sendable { case wav, flac }
  public var model: String
  public var seconds: Double
  public var format: Format?
  public var controls: Controls

  public init(model: String, seconds: Double, format: Format? = nil, controls: Controls = .init()) {
    self.model = model
    self.seconds = seconds
    self.format = format
    self.controls = controls
  }

  private struct Head: Decodable { var model: String; var seconds: Double; var format: Format? }

  /// Decodes JSON strictly: unknown fields and wrong types are errors that name the field.
  public static func decode(_ data: Data) throws -> ClipRequest {
    try StrictJSON.check(data, allowed: Controls.keys.union(["model", "seconds", "format"]))
    let head: Head = try StrictJSON.decode(data)
    return ClipRequest(model: head.model, seconds: head.seconds, format: head.format, controls: try StrictJSON.decode(data))
  }
}

/// POST /api/streams: a live stream.
public struct StreamRequest: Sendable, Equatable {
  public var model: String
  public var controls: Controls

  private struct Head: Decodable { var model: String }

  public static func decode(_ data: Data) throws -> StreamRequest {
    try StrictJSON.check(data, allowed: Controls.keys.subtracting(["densityCurve"]).union(["model"]))
    let head: Head = try StrictJSON.decode(data)
    return StreamRequest(model: head.model, controls: try StrictJSON.decode(data))
  }
}

/// A model as GET /api/models describes it.
public struct ModelDescription: Codable, Sendable, Equatable {
  public var name: String
  public var architecture: String
  public var sampleRate: Int
  public var trainedSteps: Int
  public var defaultTruncation: Double
  /// The tempi (BPM) the model was trained on, when it takes --tempo.
  public var tempo: Conditioning.Scale?
  /// The note densities (onsets/s) it was trained on, when it takes --density.
  public var density: Conditioning.Scale?
  /// MODEL_CARD.md, when the folder has one.
  public var card: String?
}

/// An error with its HTTP status and a message for the client (sent as JSON `{"error": …}`).
public struct StudioError: Error, CustomStringConvertible, Sendable {
  public let status: HTTPResponse.Status
  public let message: String

  public init(_ status: HTTPResponse.Status, _ message: String) {
    self.status = status
    self.message = message
  }

  public var description: String { message }
}

enum StrictJSON {
  static func check(_ data: Data, allowed: Set<String>) throws {
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: data)
    } catch {
      throw StudioError(.badRequest, "the body is not valid JSON")
    }
    guard let fields = object as? [String: Any] else { throw StudioError(.badRequest, "the body must be a JSON object") }
    let unknown = Set(fields.keys).subtracting(allowed)
    guard unknown.isEmpty else {
      throw StudioError(.badRequest, "unknown field(s) \(unknown.sorted().joined(separator: ", ")); allowed: "
        + allowed.sorted().joined(separator: ", "))
    }
  }

  static func decode<T: Decodable>(_ data: Data) throws -> T {
    do {
      return try JSONDecoder().decode(T.self, from: data)
    } catch DecodingError.keyNotFound(let key, _) {
      throw StudioError(.badRequest, "missing field '\(key.stringValue)'")
    } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
      let field = context.codingPath.map(\.stringValue).joined(separator: ".")
      throw StudioError(.badRequest, "field '\(field)' has the wrong type (\(context.debugDescription))")
    } catch DecodingError.dataCorrupted(let context) {
      let field = context.codingPath.map(\.stringValue).joined(separator: ".")
      throw StudioError(.badRequest, "field '\(field)': \(context.debugDescription)")
    } catch {
      throw StudioError(.badRequest, "the body does not fit: \(error)")
    }
  }
}
