import Dispatch
import Foundation
import Synchronization

/// SIGINT and SIGTERM during training: the first asks the loop to stop after the current step (it
/// then writes a checkpoint and returns), a second one exits at once. Handlers are installed
/// explicitly, so a training started in the background (where a shell leaves SIGINT ignored) or
/// stopped by `kill -INT`/`kill -TERM` from outside a terminal still stops cleanly.
public enum StopRequest {
  private static let requested = Atomic<Bool>(false)
  private static let sources = Mutex<[DispatchSourceSignal]>([])

  /// Whether a stop was asked for since `install()`.
  public static var isRequested: Bool { requested.load(ordering: .acquiring) }

  /// Asks the loop to stop, as a signal would (tests, embedding programs).
  public static func request() { requested.store(true, ordering: .releasing) }

  /// Clears a request (a new run in the same process).
  public static func reset() { requested.store(false, ordering: .releasing) }

  /// Routes SIGINT and SIGTERM to the stop request. `notice` is called (on a background queue) with
  /// the signal's name on the first one.
  public static func install(notice: @escaping @Sendable (String) -> Void = { _ in }) {
    sources.withLock { sources in
      guard sources.isEmpty else { return }
      for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
        signal(number, SIG_IGN)  // the dispatch source sees the signal instead of the default action
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
          if requested.exchange(true, ordering: .acquiringAndReleasing) {
            FileHandle.standardError.write(Data("\n\(name) again: stopping now, without a checkpoint\n".utf8))
            exit(130)
          }
          notice(name)
        }
        source.resume()
        sources.append(source)
      }
    }
  }
}
