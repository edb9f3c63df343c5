import Foundation

/// Writes a folder so that it appears complete or not at all: the contents go into a hidden sibling,
/// which then replaces the target by renames. A crash leaves either the old folder or the new one.
public enum AtomicFolder {
  public static func write(_ target: URL, _ fill: (URL) throws -> Void) throws {
    let fm = FileManager.default
    let parent = target.deletingLastPathComponent()
    try fm.createDirectory(at: parent, withIntermediateDirectories: true)
    let pid = ProcessInfo.processInfo.processIdentifier
    let staging = parent.appendingPathComponent(".\(target.lastPathComponent).writing-\(pid)")
    let retired = parent.appendingPathComponent(".\(target.lastPathComponent).old-\(pid)")
    try? fm.removeItem(at: staging)
    try fm.createDirectory(at: staging, withIntermediateDirectories: true)
    do {
      try fill(staging)
    } catch {
      try? fm.removeItem(at: staging)
      throw error
    }
    let existed = fm.fileExists(atPath: target.path)
    if existed { try fm.moveItem(at: target, to: retired) }
    do {
      try fm.moveItem(at: staging, to: target)
    } catch {
      if existed { try? fm.moveItem(at: retired, to: target) }
      throw error
    }
    if existed { try? fm.removeItem(at: retired) }
  }
}
