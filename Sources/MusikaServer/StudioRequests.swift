import Foundation
import HTTPTypes
import Musika

/// What the studio's service works with, free of HTTP: the handlers (StudioHandlers.swift) turn the
/// types generated from openapi.yaml into these.

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
}

/// POST /api/streams: a live stream.
public struct StreamRequest: Sendable, Equatable {
  public var model: String
  public var controls: Controls

  public init(model: String, controls: Controls = .init()) {
    self.model = model
    self.controls = controls
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
