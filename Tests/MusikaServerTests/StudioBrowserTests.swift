import Foundation
import Testing

@testable import MusikaServer

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// The studio in a real browser: `musika serve` on a free local port, driven by
/// Tests/Browser/studio_browser_test.py (headless Chromium through Selenium).
enum BrowserTest {
  static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Browser/studio_browser_test.py")

  /// Chromium, its driver and Selenium are here; in CI (.ci/run installs them) the test always runs,
  /// so a missing piece fails loudly instead of skipping.
  static var available: Bool {
    if ProcessInfo.processInfo.environment["CI"] != nil { return true }
    let tools = ["/usr/bin/chromium", "/usr/bin/chromedriver"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    return tools && (try? run("/usr/bin/env", ["python3", "-c", "import selenium"]).status) == 0
  }

  @discardableResult
  static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  /// Sends a POST with no body over a plain socket, reads `bytes` bytes of the answer, and closes the connection,
  /// as a player that quits does. Returns the bytes read.
  static func readAndHangUp(port: Int, path: String, bytes: Int) throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw StudioError(.internalServerError, "cannot connect to port \(port)") }
    let request = Array("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n".utf8)
    _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    var buffer = [UInt8](repeating: 0, count: 65_536)
    var total = 0
    while total < bytes {
      let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      guard n > 0 else { break }
      total += n
    }
    return total
  }

  /// A port nothing listens on right now.
  static func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
  }
}

/// `musika serve` on a free local port, answering /health; `stop()` sends SIGTERM and waits.
final class StudioServerProcess {
  let process = Process()
  let port: Int
  var base: String { "http://127.0.0.1:\(port)" }

  init(models: URL, extra: [String] = []) async throws {
    port = BrowserTest.freePort()
    process.executableURL = Bundle.main.bundleURL.appendingPathComponent("musika")
    process.arguments = ["serve", "--models", models.path, "--port", String(port), "--threads", "1"] + extra
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    for _ in 0..<100 {
      if let (_, response) = try? await URLSession.shared.data(from: URL(string: base + "/health")!),
         (response as? HTTPURLResponse)?.statusCode == 200 { return }
      try await Task.sleep(for: .milliseconds(100))
    }
    stop()
    throw StudioError(.internalServerError, "musika serve did not answer /health on port \(port)")
  }

  /// Stops the server with SIGTERM (a clean shutdown) and returns its exit status.
  @discardableResult
  func stop() -> Int32 {
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    return process.terminationStatus
  }

  func post(_ path: String, _ json: String) async throws -> (Int, Data) {
    var request = URLRequest(url: URL(string: base + path)!)
    request.httpMethod = "POST"
    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    request.httpBody = Data(json.utf8)
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
  }
}

@Suite("Studio in a real browser", .serialized)
struct StudioBrowserTests {
  @Test(.enabled(if: BrowserTest.available, "needs chromium, chromium-driver and python3-selenium; .ci/run installs them"))
  func generatesAClipAndPlaysEndlesslyWithALiveControlChange() async throws {
    let folder = try StudioFixture.modelsFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let server = try await StudioServerProcess(models: folder)
    defer { server.stop() }
    let screenshot = FileManager.default.temporaryDirectory.appendingPathComponent("musika-studio.png").path
    let (status, output) = try BrowserTest.run("/usr/bin/env", ["python3", BrowserTest.script.path, server.base + "/", "8", screenshot])
    #expect(status == 0, "browser test failed: \(output)")
    print("studio browser figures: \(output.split(separator: "\n").last ?? "")")
  }

  /// A player that hangs up frees its stream at once: with room for one stream, the next opens.
  @Test func aClientThatDisconnectsFreesItsStreamAtOnce() async throws {
    let folder = try StudioFixture.modelsFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let server = try await StudioServerProcess(models: folder, extra: ["--max-streams", "1"])
    let open = #"{"model": "\#(StudioFixture.modelName)", "tempo": 120}"#
    let (status, data) = try await server.post("/api/streams", open)
    #expect(status == 201)
    let id = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])["id"] as! String
    #expect(try await server.post("/api/streams", open).0 == 429)
    // Read the endless WAV for a moment, then hang up.
    let received = try BrowserTest.readAndHangUp(port: server.port, path: "/api/streams/\(id)/audio", bytes: 200_000)
    #expect(received >= 200_000)
    var reopened = 0
    for _ in 0..<50 where reopened != 201 {
      try await Task.sleep(for: .milliseconds(100))
      reopened = try await server.post("/api/streams", open).0
    }
    #expect(reopened == 201, "the stream of the client that hung up was not freed")
    #expect(server.stop() == 0, "SIGTERM should stop the server cleanly")
  }
}
