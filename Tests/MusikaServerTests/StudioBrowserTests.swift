import Foundation
import Testing

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

@Suite("Studio in a real browser", .serialized)
struct StudioBrowserTests {
  @Test(.enabled(if: BrowserTest.available, "needs chromium, chromium-driver and python3-selenium; .ci/run installs them"))
  func generatesAClipAndPlaysEndlesslyWithALiveControlChange() async throws {
    let folder = try StudioFixture.modelsFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let port = BrowserTest.freePort()
    let server = Process()
    server.executableURL = Bundle.main.bundleURL.appendingPathComponent("musika")
    server.arguments = ["serve", "--models", folder.path, "--port", String(port), "--threads", "1"]
    server.standardOutput = FileHandle.nullDevice
    server.standardError = FileHandle.nullDevice
    try server.run()
    defer {
      server.terminate()  // SIGTERM: the server stops cleanly
      server.waitUntilExit()
    }
    // Wait for /health.
    let base = "http://127.0.0.1:\(port)"
    var healthy = false
    for _ in 0..<100 where !healthy {
      if let (_, response) = try? await URLSession.shared.data(from: URL(string: base + "/health")!),
         (response as? HTTPURLResponse)?.statusCode == 200 { healthy = true } else { try await Task.sleep(for: .milliseconds(100)) }
    }
    try #require(healthy, "musika serve did not answer /health on port \(port)")
    let screenshot = FileManager.default.temporaryDirectory.appendingPathComponent("musika-studio.png").path
    let (status, output) = try BrowserTest.run("/usr/bin/env", ["python3", BrowserTest.script.path, base + "/", "8", screenshot])
    #expect(status == 0, "browser test failed: \(output)")
    print("studio browser figures: \(output.split(separator: "\n").last ?? "")")
  }
}
