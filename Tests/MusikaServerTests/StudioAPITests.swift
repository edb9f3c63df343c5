import Audio
import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import Testing
import Torch

@testable import Musika
@testable import MusikaServer

/// A folder with one small untrained tempo-conditioned model: it makes noise, not music, but every
/// property of the API holds.
enum StudioFixture {
  static let modelName = "micro-tempo"

  static func modelsFolder() throws -> URL {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("musika-studio-\(UUID())")
    let model = try GANModel.untrained(
      gan: GANConfig.musika44kSmall.scaled(baseChannels: 8, name: "micro"),
      codec: CodecConfig.musika44k.scaled(by: 1.0 / 16, name: "micro"),
      conditioning: Conditioning(tempo: .init(mean: 120, deviation: 20, minimum: 80, maximum: 160)), seed: 1)
    withNoGrad {
      for (name, parameter) in model.generator.namedParameters() + model.codec.namedParameters()
      where name.hasSuffix("strength") { parameter.fill(0.1) }
    }
    try model.save(to: root.appendingPathComponent(modelName), card: "# micro-tempo\n\nUntrained, for tests.\n")
    return root
  }

  static func app(_ folder: URL, _ configure: (inout StudioService.Limits) -> Void = { _ in }) throws -> some ApplicationProtocol {
    var limits = StudioService.Limits()
    configure(&limits)
    return try app(StudioService(modelsFolder: folder, limits: limits))
  }

  /// The studio around `service`, for tests that also look at the service's state.
  static func app(_ service: StudioService) throws -> some ApplicationProtocol {
    Application(router: try buildRouter(service: service))
  }
}

extension TestResponse {
  var text: String { String(buffer: body) }
  var data: Data { Data(body.readableBytesView) }
  var errorMessage: String? {
    (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["error"] as? String
  }
}

func jsonBody(_ object: [String: Any]) -> ByteBuffer {
  ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))
}

/// POST /api/streams with `body`; the new stream's id.
func openStream(_ client: some TestClientProtocol, _ body: [String: Any]) async throws -> String {
  try await client.execute(uri: "/api/streams", method: .post, body: jsonBody(body)) {
    try #require(try JSONSerialization.jsonObject(with: $0.data) as? [String: Any])["id"] as! String
  }
}

@Suite("Studio API", .serialized)
struct StudioAPITests {
  @Test func healthPageAndOpenAPI() async throws {
    let folder = try StudioFixture.modelsFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    try await StudioFixture.app(folder).test(.router) { client in
      try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok && $0.text.contains("\"ok\"")) }
      try await client.execute(uri: "/", method: .get) { response in
        #expect(response.status == .ok && response.text.contains("<title>Musika Studio</title>"))
        #expect(!response.text.contains("http://") && !response.text.contains("https://"), "the page loads nothing from elsewhere")
      }
      // The page's script and worklet are files of their own, served with a script's type.
      for script in ["/studio.js", "/player-worklet.js"] {
        try await client.execute(uri: script, method: .get) { response in
          #expect(response.status == .ok && response.headers[.contentType]?.contains("javascript") == true, "\(script)")
        }
      }
      // /openapi.json is openapi.yaml, the file the server's routes are generated from.
      let yaml = try await client.execute(uri: "/openapi.yaml", method: .get) { $0.text }
      #expect(yaml.contains("operationId: generateClip"))
      try await client.execute(uri: "/openapi.json", method: .get) { response in
        let spec = try #require(try JSONSerialization.jsonObject(with: response.data) as? [String: Any])
        let paths = try #require(spec["paths"] as? [String: [String: Any]])
        #expect(spec["openapi"] as? String == "3.0.3")
        #expect(Set(paths.keys).isSuperset(of: ["/api/models", "/api/generate", "/api/streams", "/api/streams/{id}/next",
                                                "/api/streams/{id}/controls", "/api/streams/{id}", "/health"]))
        // GET never changes state: every operation on a stream is POST or DELETE.
        for (path, operations) in paths where path.hasPrefix("/api/streams") {
          #expect(operations["get"] == nil, "\(path) has a GET")
        }
      }
      try await client.execute(uri: "/nowhere", method: .get) { #expect($0.status == .notFound && $0.errorMessage != nil) }
    }
  }

  @Test func modelsAreListedWithTheirControlsAndCard() async throws {
    let folder = try StudioFixture.modelsFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    // A codec folder beside the models (as in the bundled models/) is not a model one can play.
    try GANModel.load(from: folder.appendingPathComponent(StudioFixture.modelName)).codec
      .save(to: folder.appendingPathComponent("codec"))
    try await StudioFixture.app(folder).test(.router) { client in
      try await client.execute(uri: "/api/models", method: .get) { response in
        let models = try JSONDecoder().decode([ModelDescription].self, from: response.data)
        #expect(models.map(\.name) == [StudioFixture.modelName])
        #expect(models[0].tempo?.minimum == 80 && models[0].tempo?.maximum == 160 && models[0].density == nil)
        #expect(models[0].card?.contains("Untrained, for tests.") == true)
        #expect(models[0].sampleRate == 44_100)
      }
    }
    // The preferred model (the CLI's default) is listed first, so the page preselects it.
    try FileManager.default.copyItem(at: folder.appendingPathComponent(StudioFixture.modelName),
                                     to: folder.appendingPathComponent("a-first-by-name"))
    #expect(StudioService(modelsFolder: folder).modelNames() == ["a-first-by-name", StudioFixture.modelName])
    #expect(StudioService(modelsFolder: folder, preferredModel: StudioFixture.modelName).modelNames()
      == [StudioFixture.modelName, "a-first-by-name"])
  }

  @Test func aClipIsAnAudioFileAndTheSameParametersGiveTheSameBytes() async throws {
    let folder = try StudioFixture.modelsFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let base: [String: Any] = ["model": StudioFixture.modelName, "seconds": 2, "seed": 5, "tempo": 130, "truncation": 1.5]
    let clip = jsonBody(base)
    let otherSeed = jsonBody(base.merging(["seed": 6]) { $1 })
    let flac = jsonBody(base.merging(["format": "flac"]) { $1 })
    let long = jsonBody(base.merging(["seconds": 30]) { $1 })
    try await StudioFixture.app(folder).test(.router) { client in
      let first = try await client.execute(uri: "/api/generate", method: .post, body: clip) { response in
        #expect(response.status == .ok, "\(response.text)")
        #expect(response.headers[.contentType] == "audio/wav")
        let command = response.headers[HTTPField.Name("X-Musika-Command")!]?.removingPercentEncoding ?? ""
        #expect(command.contains("musika generate --model") && command.contains("--seed 5") && command.contains("--tempo 130"))
        #expect(response.data.prefix(4) == Data("RIFF".utf8))
        #expect(response.data.count == 44 + 2 * 44_100 * 2 * 2)  // 2 s, stereo, 16-bit
        return response.data
      }
      // A fresh server (nothing cached) renders the same bytes.
      let again = try await StudioFixture.app(folder).test(.router) { other in
        try await other.execute(uri: "/api/generate", method: .post, body: clip) { $0.data }
      }
      let sameBytes = first == again
      #expect(sameBytes)
      // Streamed out chunk by chunk, the WAV is still the file `musika generate` writes (AudioFile's
      // limiter, header and integer conversion); the FLAC is made in memory, with no file in between.
      let model = try GANModel.load(from: folder.appendingPathComponent(StudioFixture.modelName))
      let audio = try MusicStream(model: model, controls: try Controls(seed: 5, truncation: 1.5, tempo: 130)
        .resolved(for: model.config)).render(seconds: 2)
      let wavFile = try AudioFile.encoded(audio, sampleRate: model.sampleRate, as: "wav")
      let sameAsFile = first == wavFile
      #expect(sameAsFile)
      let flacFile = try AudioFile.encoded(audio, sampleRate: model.sampleRate, as: "flac")
      let different = try await client.execute(uri: "/api/generate", method: .post, body: otherSeed) { $0.data }
      let differs = first != different
      #expect(differs)
      try await client.execute(uri: "/api/generate", method: .post, body: flac) { response in
        #expect(response.headers[.contentType] == "audio/flac" && response.data.prefix(4) == Data("fLaC".utf8))
        let sameFLAC = response.data == flacFile
        #expect(sameFLAC)
      }
      try await client.execute(uri: "/api/spectrogram", method: .post, body: clip) { response in
        #expect(response.headers[.contentType] == "image/png" && response.data.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
      }
      // A long clip's picture stays at most 2048 columns wide (PNG width: bytes 16–19), and it is
      // compressed: fewer bytes than pixels.
      try await client.execute(uri: "/api/spectrogram", method: .post, body: long) { response in
        let width = response.data.dropFirst(16).prefix(4).reduce(0) { $0 << 8 | Int($1) }
        let height = response.data.dropFirst(20).prefix(4).reduce(0) { $0 << 8 | Int($1) }
        #expect(width > 1000 && width <= 2048, "width \(width)")
        #expect(response.data.count < width * height, "\(response.data.count) bytes for \(width)×\(height) pixels")
      }
    }
  }

  @Test func badRequestsGetJSONErrorsWithTheRightStatus() async throws {
    let folder = try StudioFixture.modelsFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let model = StudioFixture.modelName
    let cases: [(ByteBuffer, HTTPResponse.Status, String)] = [
      (jsonBody(["model": "nope", "seconds": 1]), .notFound, "unknown model 'nope'"),
      (jsonBody(["model": model, "seconds": 0]), .badRequest, "seconds must be positive"),
      (jsonBody(["model": model, "seconds": 0.001]), .badRequest, "seconds must be at least"),
      (jsonBody(["model": model, "seconds": -3]), .badRequest, "seconds must be positive"),
      (jsonBody(["model": model, "seconds": 9]), .contentTooLarge, "above this server's cap of 5"),
      (jsonBody(["model": model, "seconds": 1, "truncation": 0]), .badRequest, "truncation"),
      (jsonBody(["model": model, "seconds": 1, "truncation": 11]), .badRequest, "truncation"),
      (jsonBody(["model": model, "seconds": 1, "tempo": 5000]), .badRequest, "tempo"),
      (jsonBody(["model": model, "seconds": 1, "density": 2]), .badRequest, "density"),
      (jsonBody(["model": model, "seconds": 1, "colour": "blue"]), .badRequest, "unknown field 'colour'"),
      (jsonBody(["model": model, "seconds": 1, "seed": -1]), .badRequest, "seed must be 0 or more"),
      (jsonBody(["model": model, "seconds": 1, "format": "mp3"]), .badRequest, "format"),
      (ByteBuffer(repeating: UInt8(ascii: " "), count: 2 << 20), .contentTooLarge, "over 1024 KiB"),
      (jsonBody(["seconds": 1]), .badRequest, "missing field 'model'"),
      (jsonBody(["model": model, "seconds": "long"]), .badRequest, "field 'seconds' has the wrong type"),
      (ByteBuffer(string: "{not json"), .badRequest, "not valid JSON"),
      (ByteBuffer(string: "[1, 2]"), .badRequest, "must be a JSON object"),
    ]
    try await StudioFixture.app(folder, { $0.maxClipSeconds = 5 }).test(.router) { client in
      for (body, status, message) in cases {
        try await client.execute(uri: "/api/generate", method: .post, body: body) { response in
          #expect(response.status == status, "\(String(buffer: body)) → \(response.status)")
          #expect(response.errorMessage?.contains(message) == true, "\(String(buffer: body)) → \(response.text)")
          #expect(response.headers[.contentType] == "application/json")
        }
      }
      // curl -d sends form encoding by default: the error says what to send instead.
      try await client.execute(uri: "/api/generate", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                               body: jsonBody(["model": model, "seconds": 1])) { response in
        #expect(response.status == .unsupportedMediaType, "\(response.text)")
        #expect(response.errorMessage?.contains("Content-Type: application/json") == true, "\(response.text)")
      }
    }
  }

  @Test func rendersOverTheCapAreRefusedWith429() async throws {
    let folder = try StudioFixture.modelsFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    // With room for no render at all, every clip is over the cap: the refusal path, deterministically.
    try await StudioFixture.app(folder, { $0.maxConcurrentRenders = 0 }).test(.router) { client in
      try await client.execute(uri: "/api/generate", method: .post,
                               body: jsonBody(["model": StudioFixture.modelName, "seconds": 1])) { response in
        #expect(response.status == .tooManyRequests && response.errorMessage?.contains("cap is 0") == true)
      }
    }
  }

  @Test func streamsOpenPlayChangeAndClose() async throws {
    let folder = try StudioFixture.modelsFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    try await StudioFixture.app(folder, { $0.maxStreams = 2 }).test(.router) { client in
      func open(_ controls: [String: Any] = [:]) async throws -> String {
        try await client.execute(uri: "/api/streams", method: .post,
                                 body: jsonBody(["model": StudioFixture.modelName, "seed": 3, "tempo": 120].merging(controls) { $1 })) {
          #expect($0.status == .created, "\($0.text)")
          let opened = try #require(try JSONSerialization.jsonObject(with: $0.data) as? [String: Any])
          #expect(opened["sampleRate"] as? Int == 44_100)
          return try #require(opened["id"] as? String)
        }
      }
      let a = try await open()
      let b = try await open()
      // Over the cap: 429, with a message.
      try await client.execute(uri: "/api/streams", method: .post, body: jsonBody(["model": StudioFixture.modelName])) {
        #expect($0.status == .tooManyRequests && $0.errorMessage?.contains("close one first") == true)
      }
      // Two streams with the same controls play the same samples; chunks are 16 vectors (1.49 s).
      let chunkA = try await client.execute(uri: "/api/streams/\(a)/next", method: .post) { response in
        #expect(response.status == .ok && response.headers[HTTPField.Name("X-Stream-Start")!] == "0")
        #expect(response.data.count == 16 * 4096 * 2 * 4)
        return response.data
      }
      let chunkB = try await client.execute(uri: "/api/streams/\(b)/next", method: .post) { $0.data }
      let sameChunk = chunkA == chunkB
      #expect(sameChunk)
      // A control change: merged with the old controls, validated, applied.
      try await client.execute(uri: "/api/streams/\(a)/controls", method: .post, body: jsonBody(["tempo": 150])) { response in
        #expect(response.status == .ok, "\(response.text)")
        let controls = try JSONDecoder().decode(Controls.self, from: response.data)
        #expect(controls.tempo == 150 && controls.seed == 3)
      }
      try await client.execute(uri: "/api/streams/\(a)/controls", method: .post, body: jsonBody(["truncation": -1])) {
        #expect($0.status == .badRequest)
      }
      // Pulling changes the stream's state, so it is a POST; a GET is refused.
      try await client.execute(uri: "/api/streams/\(a)/next", method: .get) { #expect($0.status != .ok) }
      try await client.execute(uri: "/api/streams/\(a)/controls", method: .post, body: jsonBody(["speed": 2])) {
        #expect($0.status == .badRequest && $0.errorMessage?.contains("speed") == true)
      }
      let secondA = try await client.execute(uri: "/api/streams/\(a)/next", method: .post) {
        #expect($0.headers[HTTPField.Name("X-Stream-Start")!] == String(16 * 4096))
        return $0.data
      }
      try await client.execute(uri: "/api/streams/\(a)/next?format=s16", method: .post) { #expect($0.data.count == 16 * 4096 * 2 * 2) }
      #expect(secondA.count == chunkA.count)
      // Closing frees the place at once.
      try await client.execute(uri: "/api/streams/\(a)", method: .delete) { #expect($0.status == .noContent) }
      try await client.execute(uri: "/api/streams/\(a)/next", method: .post) { #expect($0.status == .notFound) }
      try await client.execute(uri: "/api/streams/\(a)", method: .delete) { #expect($0.status == .notFound) }
      _ = try await open(["seed": 4])
    }
  }

  @Test func theWAVStreamEndsAndFreesItsStream() async throws {
    let folder = try StudioFixture.modelsFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let service = StudioService(modelsFolder: folder)
    try await StudioFixture.app(service).test(.router) { client in
      let id = try await openStream(client, ["model": StudioFixture.modelName, "tempo": 100])
      try await client.execute(uri: "/api/streams/\(id)/audio?seconds=1", method: .post) { response in
        #expect(response.status == .ok && response.headers[.contentType] == "audio/wav")
        #expect(response.data.count == 44 + 44_100 * 2 * 2)
      }
      #expect(service.openStreamCount == 0)
    }
  }

  /// A stream's WAV: lengths beyond a day are refused (they used to trap on the integer conversion),
  /// one reader at a time, and a stream closed meanwhile ends its audio.
  @Test func theWAVStreamRefusesHugeLengthsAndASecondReader() async throws {
    let folder = try StudioFixture.modelsFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let service = StudioService(modelsFolder: folder)
    try await StudioFixture.app(service).test(.router) { client in
      let id = try await openStream(client, ["model": StudioFixture.modelName, "tempo": 100])
      for seconds in ["1e300", "5e13", "-1", "0"] {
        try await client.execute(uri: "/api/streams/\(id)/audio?seconds=\(seconds)", method: .post) { response in
          #expect(response.status == .badRequest, "seconds=\(seconds): \(response.status)")
        }
      }
    }
    let stream = try service.openStream(StreamRequest(model: StudioFixture.modelName, controls: .init(tempo: 120)))
    var reader = try service.audio(of: stream.id, seconds: nil).makeAsyncIterator()
    #expect(throws: StudioError.self) { _ = try service.audio(of: stream.id, seconds: nil) }
    _ = try await reader.next()  // the header
    _ = try await reader.next()  // a chunk
    try service.close(stream.id)
    await #expect(throws: StudioError.self) { _ = try await reader.next() }
  }

  /// A client that stops reading a clip (without hanging up) loses its render place after the
  /// patience time, so it cannot lock others out.
  @Test func aSilentClipReaderGivesItsRenderPlaceBack() async throws {
    let folder = try StudioFixture.modelsFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    var limits = StudioService.Limits()
    limits.maxConcurrentRenders = 1
    limits.readerPatienceSeconds = 0.3
    let service = StudioService(modelsFolder: folder, limits: limits)
    let clip = ClipRequest(model: StudioFixture.modelName, seconds: 20, controls: .init(tempo: 120))
    let render = try service.render(clip)
    var reader = render.bytes.makeAsyncIterator()
    _ = try await reader.next()
    #expect(throws: StudioError.self) { _ = try service.render(clip) }  // the one place is taken
    try await Task.sleep(for: .milliseconds(800))
    _ = try service.render(clip)  // given back
    await #expect(throws: StudioError.self) { _ = try await reader.next() }
  }

  @Test func idleStreamsAreClosed() async throws {
    let folder = try StudioFixture.modelsFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let service = StudioService(modelsFolder: folder, limits: { var l = StudioService.Limits(); l.maxStreams = 1; l.streamIdleSeconds = 0.2; return l }())
    let first = try service.openStream(StreamRequest(model: StudioFixture.modelName, controls: .init(tempo: 120)))
    try await Task.sleep(for: .milliseconds(300))
    // The first went idle, so the cap of one has room again.
    _ = try service.openStream(StreamRequest(model: StudioFixture.modelName, controls: .init(tempo: 120)))
    #expect(throws: StudioError.self) { try service.stream(first.id) }
  }
}
