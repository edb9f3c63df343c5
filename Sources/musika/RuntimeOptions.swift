import ArgumentParser
import Foundation
import Torch

/// Options every compute command shares. There is no `--device` here: generation, encoding and codec
/// training run on the CPU; `bench engine` and `train` (the GAN) take a `DeviceOption`.
struct RuntimeOptions: ParsableArguments {
  @Option(help: "Threads for tensor work (default: the number of active cores).")
  var threads: Int = ProcessInfo.processInfo.activeProcessorCount

  func validate() throws {
    guard threads >= 1 else { throw ValidationError("--threads must be at least 1 (got \(threads)).") }
  }
}
