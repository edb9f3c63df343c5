import ArgumentParser
import Foundation
import Torch

/// Options every compute command shares.
struct RuntimeOptions: ParsableArguments {
  @Option(help: "Threads for tensor work (default: the number of active cores).")
  var threads: Int = ProcessInfo.processInfo.activeProcessorCount

  @Option(help: "Device: cpu, cuda, cuda:N, or auto (CUDA when the linked libtorch has it).")
  var device: String = "cpu"

  func validate() throws {
    guard threads >= 1 else { throw ValidationError("--threads must be at least 1 (got \(threads)).") }
    _ = try parsedDevice()
  }

  func parsedDevice() throws -> Device {
    do {
      return try Device(parsing: device)
    } catch let error as TorchError {
      throw ValidationError("--device: \(error.message)")
    }
  }
}
