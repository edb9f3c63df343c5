import Foundation
import Testing

@testable import Musika

@Suite("Checkpoint store")
struct CheckpointStoreTests {
  static func temporaryRun() throws -> URL {
    let run = FileManager.default.temporaryDirectory.appendingPathComponent("musika-store-\(UUID())")
    try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
    return run
  }

  static func save(_ store: CheckpointStore, step: Int, milestoneEvery: Int? = 10) throws {
    try store.save(step: step, milestoneEvery: milestoneEvery) { folder in
      try Data("\(step)".utf8).write(to: folder.appendingPathComponent("weights"))
    }
  }

  static func weights(_ folder: URL) throws -> String {
    String(decoding: try Data(contentsOf: folder.appendingPathComponent("weights")), as: UTF8.self)
  }

  @Test func keepsLatestAndMilestones() throws {
    let run = try Self.temporaryRun()
    defer { try? FileManager.default.removeItem(at: run) }
    let store = CheckpointStore(run: run, kind: "codec")
    #expect(!store.exists)
    for step in [5, 10, 15, 20, 25] { try Self.save(store, step: step) }
    #expect(store.milestones() == [10, 20])
    #expect(try Self.weights(store.latest) == "25")
    #expect(try Self.weights(store.milestone(10)) == "10")
    #expect(try store.folderToResume() == store.latest)
    // Milestones survive the later writes of latest (hard links to files that are never rewritten).
    #expect(try Self.weights(store.milestone(20)) == "20")
  }

  @Test func aDamagedLatestFallsBackToTheNewestMilestoneAndSaysSo() throws {
    let run = try Self.temporaryRun()
    defer { try? FileManager.default.removeItem(at: run) }
    let store = CheckpointStore(run: run, kind: "gan")
    for step in [10, 20, 25] { try Self.save(store, step: step) }
    try Data("{ not json".utf8).write(to: store.latest.appendingPathComponent("checkpoint.json"))
    var messages: [String] = []
    let folder = try store.folderToResume(log: { messages.append($0) })
    #expect(folder == store.milestone(20))
    #expect(messages.contains { $0.contains("checkpoint.json is damaged") && $0.contains("step-0000020") })
  }

  @Test func refusesANewerFormatAndAnotherKindByName() throws {
    let run = try Self.temporaryRun()
    defer { try? FileManager.default.removeItem(at: run) }
    try Self.save(CheckpointStore(run: run, kind: "gan"), step: 3)
    #expect { try CheckpointStore(run: run, kind: "codec").folderToResume() } throws: {
      "\($0)".contains("is a gan checkpoint, not a codec one")
    }
    let header = CheckpointStore(run: run, kind: "gan").latest.appendingPathComponent("checkpoint.json")
    try Data(#"{"formatVersion": 99, "kind": "gan", "step": 3}"#.utf8).write(to: header)
    #expect { try CheckpointStore(run: run, kind: "gan").folderToResume() } throws: {
      "\($0)".contains("format 99, newer than this release understands")
    }
  }

  @Test func nothingToResumeIsAnError() throws {
    let run = try Self.temporaryRun()
    defer { try? FileManager.default.removeItem(at: run) }
    #expect { try CheckpointStore(run: run, kind: "codec").folderToResume() } throws: { "\($0)".contains("no checkpoint") }
  }

  /// A run of an earlier release kept one `checkpoint/` folder: it becomes `checkpoints/latest/`.
  @Test func migratesTheLegacyLayout() throws {
    let run = try Self.temporaryRun()
    defer { try? FileManager.default.removeItem(at: run) }
    let legacy = run.appendingPathComponent("checkpoint")
    try FileManager.default.createDirectory(at: legacy, withIntermediateDirectories: true)
    try Data(#"{"step": 1234}"#.utf8).write(to: legacy.appendingPathComponent("trainer.json"))
    try Data("old".utf8).write(to: legacy.appendingPathComponent("weights"))
    let store = CheckpointStore(run: run, kind: "codec")
    #expect(store.exists)
    var messages: [String] = []
    #expect(try store.folderToResume(log: { messages.append($0) }) == store.latest)
    #expect(try Self.weights(store.latest) == "old")
    #expect(!FileManager.default.fileExists(atPath: legacy.path))
    #expect(messages.contains { $0.contains("earlier release") })
  }
}
