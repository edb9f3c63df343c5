import Foundation

/// The checkpoints of a training run, in `RUN/checkpoints/`:
///
/// - `latest/`: written every `checkpointEvery` steps (and when a run stops), atomically: a crash or a
///   full disk during the write leaves the previous `latest/` as it was.
/// - `step-NNNNNNN/`: milestones, kept for good every `milestoneEvery` steps (hard links to the files
///   of `latest/`, which are never rewritten in place, so a milestone costs no space until `latest/`
///   moves on).
///
/// Each checkpoint folder holds `checkpoint.json` (format version, kind, step) beside the trainer's own
/// files. A resume reads `latest/`; when that is damaged it says so and falls back to the newest intact
/// milestone. Runs of earlier releases kept one `RUN/checkpoint/` folder: it becomes `latest/`.
public struct CheckpointStore: Sendable {
  public static let currentFormatVersion = 2
  public static let folderName = "checkpoints"
  static let headerFile = "checkpoint.json"
  /// Where earlier releases kept their single checkpoint.
  static let legacyFolderName = "checkpoint"

  struct Header: Codable {
    var formatVersion: Int
    var kind: String
    var step: Int
  }

  public let run: URL
  /// "codec" or "gan": a checkpoint of another kind is refused by name.
  public let kind: String

  public init(run: URL, kind: String) {
    self.run = run
    self.kind = kind
  }

  public var root: URL { run.appendingPathComponent(Self.folderName) }
  public var latest: URL { root.appendingPathComponent("latest") }
  public func milestone(_ step: Int) -> URL { root.appendingPathComponent(String(format: "step-%07d", step)) }

  /// Whether the run holds a checkpoint to resume (in this layout or the legacy one).
  public var exists: Bool {
    FileManager.default.fileExists(atPath: latest.path) || !milestones().isEmpty
      || FileManager.default.fileExists(atPath: run.appendingPathComponent(Self.legacyFolderName).path)
  }

  /// Milestone steps present, oldest first.
  public func milestones() -> [Int] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
    return names.compactMap { name in name.hasPrefix("step-") ? Int(name.dropFirst(5)) : nil }.sorted()
  }

  /// Writes a checkpoint at `step`: `fill` puts the trainer's files into a staging folder, which
  /// becomes `latest/` atomically; at a milestone step it is also kept as `step-NNNNNNN/`.
  public func save(step: Int, milestoneEvery: Int?, _ fill: (URL) throws -> Void) throws {
    let header = try JSONEncoder.pretty.encode(Header(formatVersion: Self.currentFormatVersion, kind: kind, step: step))
    try AtomicFolder.write(latest) { staging in
      try fill(staging)
      try header.write(to: staging.appendingPathComponent(Self.headerFile))
    }
    if let every = milestoneEvery, every > 0, step > 0, step % every == 0 {
      try AtomicFolder.write(milestone(step)) { staging in
        for name in try FileManager.default.contentsOfDirectory(atPath: latest.path) {
          let source = latest.appendingPathComponent(name)
          let target = staging.appendingPathComponent(name)
          do { try FileManager.default.linkItem(at: source, to: target) } catch {
            try FileManager.default.copyItem(at: source, to: target)
          }
        }
      }
    }
  }

  /// The folder a resume should read: `latest/` when its header is readable and of this kind and
  /// version, else the newest such milestone (with `log` saying why). Converts a legacy run first.
  public func folderToResume(log: (String) -> Void = { _ in }) throws -> URL {
    try migrateLegacyLayout(log: log)
    var problems: [String] = []
    let candidates = [latest] + milestones().reversed().map(milestone)
    for folder in candidates where FileManager.default.fileExists(atPath: folder.path) {
      do {
        try check(folder)
        if !problems.isEmpty { log("resuming from \(folder.path) instead: " + problems.joined(separator: "; ")) }
        return folder
      } catch let error as MusikaError {
        if case .invalidConfig = error { throw error }  // a newer format or another kind: never skip silently
        problems.append("\(error)")
      }
    }
    if problems.isEmpty {
      throw MusikaError.invalidInput("\(run.path) has no checkpoint to resume (\(latest.path) is missing)")
    }
    throw MusikaError.invalidInput("no intact checkpoint in \(root.path): " + problems.joined(separator: "; ")
      + "; delete the run folder to start over")
  }

  /// Reads a checkpoint folder's header: it must exist, parse, be of this kind and not newer than this release.
  func check(_ folder: URL) throws {
    let url = folder.appendingPathComponent(Self.headerFile)
    guard let data = try? Data(contentsOf: url) else {
      throw MusikaError.invalidInput("\(url.path) is missing")
    }
    guard let header = try? JSONDecoder().decode(Header.self, from: data) else {
      throw MusikaError.invalidInput("\(url.path) is damaged")
    }
    guard header.kind == kind else {
      throw MusikaError.invalidConfig("\(folder.path) is a \(header.kind) checkpoint, not a \(kind) one; use another --out")
    }
    guard header.formatVersion <= Self.currentFormatVersion else {
      throw MusikaError.invalidConfig("\(folder.path) has checkpoint format \(header.formatVersion), newer than this "
        + "release understands (\(Self.currentFormatVersion)); update musika")
    }
  }

  /// A run of an earlier release (`RUN/checkpoint/` with `trainer.json`) becomes `checkpoints/latest/`.
  func migrateLegacyLayout(log: (String) -> Void) throws {
    let legacy = run.appendingPathComponent(Self.legacyFolderName)
    let fm = FileManager.default
    guard fm.fileExists(atPath: legacy.appendingPathComponent("trainer.json").path),
          !fm.fileExists(atPath: latest.path) else { return }
    let state = try? JSONSerialization.jsonObject(with: Data(contentsOf: legacy.appendingPathComponent("trainer.json")))
    let step = (state as? [String: Any])?["step"] as? Int ?? 0
    let header = try JSONEncoder.pretty.encode(Header(formatVersion: Self.currentFormatVersion, kind: kind, step: step))
    try header.write(to: legacy.appendingPathComponent(Self.headerFile), options: .atomic)
    try fm.createDirectory(at: root, withIntermediateDirectories: true)
    try fm.moveItem(at: legacy, to: latest)
    log("moved the checkpoint of an earlier release, \(legacy.path), to \(latest.path)")
  }
}

extension JSONEncoder {
  /// Pretty-printed with sorted keys: the form of every JSON file a run writes.
  static var pretty: JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return encoder
  }
}
