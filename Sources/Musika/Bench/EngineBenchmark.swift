import Foundation
import Torch

/// `musika bench engine`: how fast libtorch runs Musika's work on this machine, measured in one run
/// so the ratios hold even on a noisy machine. It times sgemm (the BLAS peak), then the full-size
/// decoder convolution stack (DecoderConvShapes) in fp32 and bf16, through this project's own layers.
public struct EngineBenchmark {
  public struct Options: Sendable {
    public var threads: Int
    public var device: Device
    /// Decoder windows per call (each 0.372 s of one channel).
    public var batch: Int
    /// Minimum timed seconds per measurement, after warm-up.
    public var seconds: Double
    public var includeBF16: Bool
    public var matrixSize: Int

    public init(threads: Int, device: Device = .cpu, batch: Int = 16, seconds: Double = 2.0, includeBF16: Bool = true,
                matrixSize: Int = 2048) {
      self.threads = threads
      self.device = device
      self.batch = batch
      self.seconds = seconds
      self.includeBF16 = includeBF16
      self.matrixSize = matrixSize
    }
  }

  public struct Measurement: Sendable {
    public let name: String
    public let flopsPerRun: Double
    public let runs: Int
    public let seconds: Double

    public var gflops: Double { flopsPerRun * Double(runs) / seconds / 1e9 }
    public var secondsPerRun: Double { seconds / Double(runs) }
  }

  public struct Report: Sendable {
    public let torchVersion: String
    public let threads: Int
    public let device: Device
    public let blas: BLASLibrary
    public let batch: Int
    public let sgemm: Measurement
    public let convFP32: Measurement
    public let convBF16: Measurement?
    /// Per-layer fp32 timings, slowest first.
    public let layers: [Measurement]

    /// Seconds of stereo audio one run of the conv stack decodes (two windows per stereo chunk).
    public var audioSecondsPerRun: Double {
      Double(batch) / 2 * Double(DecoderConvShapes.samplesPerWindow) / 44_100
    }

    public func realTimeFactor(_ m: Measurement) -> Double { audioSecondsPerRun / m.secondsPerRun }

    /// Reference BLAS reaches ~5 GFLOP/s on a 2-core machine where OpenBLAS reaches ~80.
    public var blasLooksSlow: Bool {
      blas.kind == .reference || sgemm.gflops < 12 * Double(max(threads, 1))
    }
  }

  public let options: Options

  public init(options: Options) {
    self.options = options
  }

  public func run(progress: (String) -> Void = { _ in }) throws -> Report {
    try TorchRuntime.setThreadCount(options.threads)
    let device = options.device
    return try withNoGrad {
      progress("sgemm \(options.matrixSize)×\(options.matrixSize) fp32…")
      let n = options.matrixSize
      let generator = Generator(seed: 1)
      let a = Tensor.randn([n, n], generator: generator, device: device)
      let b = Tensor.randn([n, n], generator: generator, device: device)
      let sgemm = measure("sgemm fp32", flops: 2 * pow(Double(n), 3)) { _ = a.matmul(b).sum().item() }

      progress("decoder conv stack fp32 (batch \(options.batch))…")
      let stack = try ConvStack(batch: options.batch, device: device, dtype: .float32)
      let fp32 = measure("decoder convs fp32", flops: stack.flops) { stack.run() }
      let layers = stack.layers.map { layer in
        measure(layer.shape.name, flops: layer.flops, minimumSeconds: options.seconds / 8) { layer.run() }
      }.sorted { $0.secondsPerRun > $1.secondsPerRun }

      var bf16: Measurement?
      if options.includeBF16 {
        progress("decoder conv stack bf16…")
        let stack16 = try ConvStack(batch: options.batch, device: device, dtype: .bfloat16)
        bf16 = measure("decoder convs bf16", flops: stack16.flops) { stack16.run() }
      }
      return Report(torchVersion: TorchRuntime.version, threads: TorchRuntime.threadCount, device: device,
                    blas: BLASLibrary.detect(), batch: options.batch, sgemm: sgemm, convFP32: fp32, convBF16: bf16,
                    layers: layers)
    }
  }

  /// Warms up, then repeats `body` until `minimumSeconds` have passed. Each run ends by reading a
  /// value back, so asynchronous devices are timed to completion.
  private func measure(_ name: String, flops: Double, minimumSeconds: Double? = nil, _ body: () -> Void) -> Measurement {
    let target = minimumSeconds ?? options.seconds
    body()
    body()
    let clock = ContinuousClock()
    let start = clock.now
    var runs = 0
    var elapsed = 0.0
    repeat {
      body()
      runs += 1
      elapsed = (clock.now - start).seconds
    } while elapsed < target
    return Measurement(name: name, flopsPerRun: flops, runs: runs, seconds: elapsed)
  }
}

/// The decoder's convolution layers with random weights, each fed a random input of its shape.
private struct ConvStack {
  struct BenchLayer {
    let shape: ConvShape
    let layer: any Layer
    let input: Tensor
    let batch: Int

    var flops: Double { 2 * Double(shape.macs) * Double(batch) }

    func run() {
      _ = layer(input).sum().item()
    }
  }

  let layers: [BenchLayer]

  init(batch: Int, device: Device, dtype: DType) throws {
    let generator = Generator(seed: 7)
    layers = try DecoderConvShapes.all.enumerated().map { index, shape in
      let module: any Layer = switch shape.kind {
      case .conv:
        Conv1d(shape.inChannels, shape.outChannels, kernel: shape.kernel, .init(stride: shape.stride, padding: .same))
      case .transposed:
        ConvTranspose1d(shape.inChannels, shape.outChannels, kernel: shape.kernel,
                        .init(stride: shape.stride, padding: .same))
      }
      module.initialize(seed: UInt64(index))
      try module.to(device: device, dtype: dtype)
      let input = Tensor.randn([batch, shape.inChannels, shape.inputLength], generator: generator, dtype: dtype,
                               device: device)
      return BenchLayer(shape: shape, layer: module, input: input, batch: batch)
    }
  }

  var flops: Double { layers.reduce(0) { $0 + $1.flops } }

  func run() {
    // One read-back for the whole stack, as a decoder would do once per chunk.
    let outputs = layers.map { $0.layer($0.input).sum() }
    _ = Tensor.stack(outputs, dim: 0).sum().item()
  }
}
