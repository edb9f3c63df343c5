import Foundation
import Torch
import Testing

/// Runs the built `musika` binary (it sits beside the test bundle) and captures what it prints.
func runMusika(_ arguments: [String], environment: [String: String] = [:]) throws
  -> (status: Int32, stdout: String, stderr: String) {
  let binary = Bundle.main.bundleURL.appendingPathComponent("musika")
  let process = Process()
  process.executableURL = binary
  process.arguments = arguments
  if !environment.isEmpty {
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
  }
  let out = Pipe()
  let err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  let stdout = out.fileHandleForReading.readDataToEndOfFile()
  let stderr = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

@Suite("The musika command line")
struct CommandLineTests {
  @Test func versionAndHelp() throws {
    let version = try runMusika(["--version"])
    #expect(version.status == 0)
    #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")

    let help = try runMusika(["--help"])
    #expect(help.status == 0)
    #expect(help.stdout.contains("USAGE: musika"))
    #expect(help.stdout.contains("bench"))

    let benchHelp = try runMusika(["bench", "engine", "--help"])
    #expect(benchHelp.status == 0)
    for option in ["--threads", "--device", "--batch", "--seconds", "--no-bf16", "--layers"] {
      #expect(benchHelp.stdout.contains(option), "bench engine --help lacks \(option)")
    }
  }

  @Test func theTensorEngineLoadsOnlyWhenTensorsAreNeeded() throws {
    // With the engine's path pointing nowhere, what needs no tensors still works (so it never
    // waited for libtorch's start-up), and what needs them stops with a message naming the path.
    let nowhere = ["MUSIKA_TORCH_ENGINE": "/nonexistent/libMusikaTorchEngine.so"]
    let version = try runMusika(["--version"], environment: nowhere)
    #expect(version.status == 0 && version.stdout.contains("0.1.0"), "\(version)")
    let help = try runMusika(["generate", "--help"], environment: nowhere)
    #expect(help.status == 0 && help.stdout.contains("--seconds"))
    let generate = try runMusika(["bench", "engine", "--seconds", "0.1"], environment: nowhere)
    #expect(generate.status == 70)
    #expect(generate.stderr.contains("cannot load its tensor engine /nonexistent/libMusikaTorchEngine.so"), "\(generate.stderr)")
    #expect(generate.stderr.contains("MUSIKA_TORCH_ENGINE"))
  }

  @Test func badArgumentsExplainThemselves() throws {
    let threads = try runMusika(["bench", "engine", "--threads", "0"])
    #expect(threads.status == 64)
    #expect(threads.stderr.contains("--threads must be at least 1"))

    let device = try runMusika(["bench", "engine", "--device", "tpu"])
    #expect(device.status == 64)
    #expect(device.stderr.contains("unknown device 'tpu'"))

    // The model commands run on the CPU only, so they do not offer a --device they would ignore.
    for command in ["generate", "stream", "serve", "encode", "codec train"] {
      let help = try runMusika(command.split(separator: " ").map(String.init) + ["--help"])
      #expect(help.status == 0)
      #expect(!help.stdout.contains("--device"), "\(command) --help offers --device")
    }
    let ignored = try runMusika(["generate", "--device", "cuda", "--seconds", "1", "-o", "unused.wav"])
    #expect(ignored.status == 64)
    #expect(ignored.stderr.contains("Unknown option '--device'"))

    // `train` runs on a GPU when asked; an engine without CUDA refuses by name before loading any data.
    let train = try runMusika(["train", "--data", "missing", "--out", "unused", "--device", "cuda"])
    if !TorchRuntime.isCUDAAvailable {
      #expect(train.status == 64)
      #expect(train.stderr.contains("--device cuda: this engine's libtorch has no CUDA"), "\(train.stderr)")
    }
    let trainDevice = try runMusika(["train", "--data", "missing", "--out", "unused", "--device", "tpu"])
    #expect(trainDevice.status == 64)
    #expect(trainDevice.stderr.contains("unknown device 'tpu'"))

    let unknown = try runMusika(["frobnicate"])
    #expect(unknown.status == 64)
  }

  @Test func benchEnginePrintsItsFigures() throws {
    // Speed is not asserted (that is the benchmark's job); the report's shape is.
    let run = try runMusika(["bench", "engine", "--seconds", "0.05", "--batch", "2", "--threads", "1"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.contains("threads 1"))
    #expect(run.stdout.contains("sgemm fp32"))
    #expect(run.stdout.contains("decoder convs fp32"))
    #expect(run.stdout.contains("decoder convs bf16"))
    #expect(run.stdout.contains("conv/sgemm"))
    #expect(run.stdout.contains("× real time"))
  }
}
