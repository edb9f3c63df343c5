import Foundation

/// What a trainer (codec or GAN) plugs into `TrainingLoop`: its step, its files, its learning rates.
/// Every random choice of step k derives from (seed, k), so weights, optimiser states and k are all a
/// resume needs to continue exactly where an uninterrupted run would be.
public protocol TrainingTask: AnyObject {
  /// Steps done so far.
  var step: Int { get }
  /// The step the run ends at.
  var totalSteps: Int { get }
  var schedule: TrainingSchedule { get }
  var checkpoints: CheckpointStore { get }
  /// Trains one step (advancing `step`) and returns its losses by name; a non-finite loss must throw
  /// `MusikaError.trainingDiverged` before any parameter changes.
  func trainStep() throws -> [String: Double]
  /// Fields logged beside the losses of a step (e.g. the stage, the learning rate), as JSON values.
  func logFields() -> [(String, String)]
  /// Writes everything a resume needs into `folder`; `elapsed` is the run's training time so far.
  func writeCheckpoint(into folder: URL, elapsed: Double) throws
  /// Loads a checkpoint folder written by `writeCheckpoint`; returns the training time it had.
  func restoreCheckpoint(from folder: URL) throws -> Double
  /// Multiplies every learning rate by `factor` (roll-back after a divergence); returns the main one.
  func scaleLearningRates(by factor: Double) -> Double
  /// Writes an audio sample and a picture of the current state.
  func writeSample(log: (String) -> Void) throws
  /// Called after each checkpoint (e.g. to refresh a usable model folder).
  func didSaveCheckpoint() throws
  /// Called once when `step` reaches `totalSteps` (e.g. to write the finished codec).
  func finish(log: (String) -> Void) throws
}

extension TrainingTask {
  public func logFields() -> [(String, String)] { [] }
  public func didSaveCheckpoint() throws {}
  public func finish(log: (String) -> Void) throws {}
}

/// How often a run logs, samples and checkpoints.
public struct TrainingSchedule: Codable, Sendable, Equatable {
  public var checkpointEvery: Int
  public var sampleEvery: Int
  public var logEvery: Int
  /// Checkpoints at multiples of this are kept for good as `checkpoints/step-N/`.
  public var milestoneEvery: Int

  public init(checkpointEvery: Int, sampleEvery: Int, logEvery: Int, milestoneEvery: Int) {
    self.checkpointEvery = checkpointEvery
    self.sampleEvery = sampleEvery
    self.logEvery = logEvery
    self.milestoneEvery = milestoneEvery
  }
}

/// A report after each step, for progress lines.
public struct TrainingProgress: Sendable {
  public let step: Int
  public let totalSteps: Int
  public let metrics: [String: Double]
  public let stepsPerSecond: Double
  public let secondsRemaining: Double
}

/// The one training loop: steps, metrics (`RUN/metrics.jsonl`), progress, samples, checkpoints with
/// milestones, roll-back at half the learning rate when a loss turns NaN or infinite (at most three
/// times in a row), and a clean stop with a checkpoint on SIGINT/SIGTERM (`StopRequest`).
public enum TrainingLoop {
  public enum Outcome: Sendable, Equatable {
    /// `totalSteps` reached.
    case finished
    /// `stopAfter` steps done; the rest can be resumed.
    case paused
    /// Stopped by a signal (or `StopRequest.request()`), with a checkpoint.
    case stopped
  }

  /// Resumes `task` from its newest intact checkpoint; returns the training time it had.
  @discardableResult
  public static func resume(_ task: TrainingTask, log: (String) -> Void = { _ in }) throws -> Double {
    try task.restoreCheckpoint(from: task.checkpoints.folderToResume(log: log))
  }

  @discardableResult
  public static func run(_ task: TrainingTask, stopAfter: Int? = nil, elapsedBefore: Double = 0,
                         progress: (TrainingProgress) -> Void = { _ in },
                         log: (String) -> Void = { _ in }) throws -> Outcome {
    let run = task.checkpoints.run
    try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
    let metricsLog = MetricsLog(url: run.appendingPathComponent("metrics.jsonl"))
    try metricsLog.trim(after: task.step)
    let schedule = task.schedule
    let end = min(task.totalSteps, stopAfter.map { task.step + $0 } ?? Int.max)
    let clock = ContinuousClock()
    let started = clock.now
    let firstStep = task.step
    var elapsedBefore = elapsedBefore
    var recoveries = 0
    func elapsed() -> Double { elapsedBefore + (clock.now - started).seconds }
    func checkpoint() throws {
      try task.checkpoints.save(step: task.step, milestoneEvery: schedule.milestoneEvery) { folder in
        try task.writeCheckpoint(into: folder, elapsed: elapsed())
      }
      try task.didSaveCheckpoint()
    }

    while task.step < end {
      let metrics: [String: Double]
      do {
        metrics = try task.trainStep()
        recoveries = 0
      } catch let error as MusikaError {
        guard case .trainingDiverged = error else { throw error }
        recoveries += 1
        guard recoveries <= 3, task.checkpoints.exists else { throw error }
        let restored = try resume(task, log: log)
        elapsedBefore = restored - (clock.now - started).seconds
        let rate = task.scaleLearningRates(by: 0.5)
        log("\(error): rolled back to the checkpoint at step \(task.step) and halved the learning rate to \(rate)")
        continue
      }
      let step = task.step
      let seconds = (clock.now - started).seconds
      let rate = Double(step - firstStep) / max(seconds, 1e-9)
      if step % schedule.logEvery == 0 || step == end {
        try metricsLog.append(step: step, fields: task.logFields() + [("elapsed", String(format: "%.2f", elapsed()))],
                              metrics: metrics)
      }
      progress(TrainingProgress(step: step, totalSteps: task.totalSteps, metrics: metrics, stepsPerSecond: rate,
                                secondsRemaining: Double(task.totalSteps - step) / max(rate, 1e-9)))
      let stopping = StopRequest.isRequested && step < end
      if step % schedule.checkpointEvery == 0 || step == end || stopping { try checkpoint() }
      if stopping {
        log("stopped at step \(step) on request; the checkpoint is saved, run the same command to resume")
        return .stopped
      }
      if step % schedule.sampleEvery == 0 || step == task.totalSteps { try task.writeSample(log: log) }
    }
    guard task.step >= task.totalSteps else { return .paused }
    try task.finish(log: log)
    return .finished
  }
}
