import ArgumentParser
import Torch

/// `--device` of the commands that can run on a GPU (`bench engine`, `train`).
struct DeviceOption: ParsableArguments {
  @Option(help: ArgumentHelp(
    "Device: cpu, cuda, cuda:N, or auto (CUDA when the engine's libtorch has it and a GPU is visible).",
    discussion: "CUDA needs a musika whose engine is built against a CUDA libtorch (README: Using another libtorch)."))
  var device: String = "cpu"

  func validate() throws { _ = try parsed() }

  /// The device named, without checking that it can be used.
  func parsed() throws -> Device {
    do {
      return try Device(parsing: device)
    } catch let error as TorchError {
      throw ValidationError("--device: \(error.message)")
    }
  }

  /// The device named, checked: a CUDA device must exist under the engine's libtorch.
  func usable() throws -> Device {
    let device = try parsed()
    guard case .cuda(let index) = device else { return device }
    guard TorchRuntime.isCUDAAvailable else {
      throw ValidationError("--device \(self.device): this engine's libtorch has no CUDA, or no GPU is visible "
        + "(build the engine against a CUDA libtorch, see the README's 'Using another libtorch', or use --device cpu).")
    }
    guard index < TorchRuntime.cudaDeviceCount else {
      throw ValidationError("--device \(self.device): only \(TorchRuntime.cudaDeviceCount) CUDA device(s) are visible.")
    }
    return device
  }
}
