import Foundation
import Testing
import Torch

@testable import Musika

/// Small untrained models: they make noise, not music, but every property of the stream holds.
enum MicroModels {
  static let codec = CodecConfig.musika44k.scaled(by: 1.0 / 16, name: "micro")
  static let gan = GANConfig.musika44kSmall.scaled(baseChannels: 8, name: "micro")
  static let tempo = Conditioning(tempo: .init(mean: 120, deviation: 20, minimum: 80, maximum: 160))
  static let both = Conditioning(tempo: tempo.tempo, density: .init(mean: 3, deviation: 1.5, minimum: 0, maximum: 8))

  static func model(_ conditioning: Conditioning = .none, seed: UInt64 = 1) throws -> GANModel {
    let model = try GANModel.untrained(gan: gan, codec: codec, conditioning: conditioning, seed: seed)
    // Untrained noise layers start at zero strength; give them some so that noise seeding matters.
    withNoGrad {
      for (name, parameter) in model.generator.namedParameters() + model.codec.namedParameters()
      where name.hasSuffix("strength") { parameter.fill(0.1) }
    }
    return model
  }
}

@Suite("Streams: deterministic, seekable, steerable", .serialized)
struct MusicStreamTests {
  static func samples(_ t: Tensor) -> [Float] { t.contiguous().toArray(of: Float.self) }

  @Test func sameSeedSameSamplesDifferentSeedDifferentSamples() throws {
    let model = try MicroModels.model()
    let a = try MusicStream(model: model, controls: .init(seed: 5, truncation: 2)).render(seconds: 7)
    let b = try MusicStream(model: model, controls: .init(seed: 5, truncation: 2)).render(seconds: 7)
    let c = try MusicStream(model: model, controls: .init(seed: 6, truncation: 2)).render(seconds: 7)
    #expect(a.shape == [2, 7 * 44_100])
    #expect(identical(a, b), "\(difference(a, b))")
    #expect(!identical(a, c))
    #expect(a.abs().amax().item() > 1e-4, "the stream should not be silent")
  }

  @Test func theChunkSizeChangesTheSpeedNotTheAudio() throws {
    // The decoders' noise is tied to positions and their context covers their receptive fields, so
    // a piece is the same whether it is decoded in chunks of 16, 64 or 128 vectors, also when looping.
    let model = try MicroModels.model(MicroModels.tempo)
    let controls = try Controls(seed: 6, tempo: 125).resolved(for: model.config)
    let reference = try MusicStream(model: model, controls: controls, chunkVectors: 64).render(seconds: 20)
    for size in [16, 128] {
      let other = try MusicStream(model: model, controls: controls, chunkVectors: size).render(seconds: 20)
      #expect((other - reference).abs().amax().item() < 1e-5, "chunks of \(size): \(difference(other, reference))")
    }
    let loop = try MusicStream(model: model, controls: controls, loopSeconds: 12, chunkVectors: 128).renderLoop()
    let loop16 = try MusicStream(model: model, controls: controls, loopSeconds: 12, chunkVectors: 16).renderLoop()
    #expect(loop.size(1) == loop16.size(1) && (loop - loop16).abs().amax().item() < 1e-5)
  }

  /// An endless stream (no known end: the lookahead is always decoded) with the phase integrated from
  /// the magnitude and refined: chunks of 16 and 128 vectors play what chunks of 64 play.
  @Test func withARefinedPhaseTheChunkSizeChangesTheSpeedNotTheAudio() throws {
    let model = try MicroModels.model(MicroModels.tempo)
    model.codec.phaseSource = .magnitude
    model.codec.phaseIterations = 4
    let controls = try Controls(seed: 6, tempo: 125).resolved(for: model.config)
    let reference = try MusicStream(model: model, controls: controls, chunkVectors: 64).render(seconds: 20)
    model.codec.phaseIterations = 0
    let integrated = try MusicStream(model: model, controls: controls, chunkVectors: 64).render(seconds: 20)
    #expect((integrated - reference).abs().amax().item() > 1e-3, "the refinement should change the samples")
    model.codec.phaseIterations = 4
    for size in [16, 128] {
      let other = try MusicStream(model: model, controls: controls, chunkVectors: size).render(seconds: 20)
      #expect((other - reference).abs().amax().item() < 1e-4, "chunks of \(size): \(difference(other, reference))")
    }
  }

  @Test func aModelReadiedForGenerationPlaysTheSameSamples() throws {
    let plain = try MicroModels.model(MicroModels.tempo)
    let packed = try MicroModels.model(MicroModels.tempo)
    try packed.packForGeneration()
    let transposed = packed.generator.namedModules().compactMap { $0.1 as? ConvTranspose1d }
      + packed.codec.namedModules().compactMap { $0.1 as? ConvTranspose1d }
    #expect(!transposed.isEmpty && transposed.allSatisfy(\.holdsPhaseKernels))
    let controls = try Controls(seed: 4, tempo: 130).resolved(for: plain.config)
    let a = try MusicStream(model: plain, controls: controls).render(seconds: 5)
    let b = try MusicStream(model: packed, controls: controls).render(seconds: 5)
    #expect(identical(a, b), "\(difference(a, b))")
    // Generation never encodes, so the encoders are gone; asking for it is a clear error, not a crash.
    #expect(packed.codec.encodersReleased)
    #expect(throws: MusikaError.self) { try packed.codec.encode(Tensor.zeros([2, 44_100])) }
  }

  @Test(arguments: [0.0, 1.4861, 5.3, 7.43, 11.0])
  func seekingGivesTheSameSamplesAsALongerRun(start: Double) throws {
    let model = try MicroModels.model()
    let whole = try MusicStream(model: model, controls: .init(seed: 9, truncation: 2)).render(seconds: 16)
    let seeked = try MusicStream(model: model, controls: .init(seed: 9, truncation: 2), start: start).render(seconds: 4)
    let offset = Int((start * 44_100).rounded())
    let span = whole.narrow(dim: 1, start: offset, length: seeked.size(1))
    #expect(identical(seeked, span), "\(difference(seeked, span))")
  }

  @Test func chunksArriveInOrderFromTheAsyncSequence() async throws {
    let model = try MicroModels.model()
    let stream = try MusicStream(model: model, controls: .init(seed: 3, truncation: 2))
    var starts: [Int] = []
    var pieces: [Tensor] = []
    for try await chunk in stream.chunks() {
      starts.append(chunk.start)
      pieces.append(chunk.samples)
      if starts.count == 3 { break }
    }
    #expect(starts == (0..<3).map { stream.chunkRange($0).lowerBound })
    #expect(stream.chunkRange(0).count == 16 * 4096 && stream.chunkRange(1).count == 64 * 4096)
    let reference = try MusicStream(model: model, controls: .init(seed: 3, truncation: 2))
      .render(seconds: Double(stream.chunkRange(2).upperBound) / 44_100)
    let streamed = Tensor.cat(pieces, dim: 1)
    #expect(identical(streamed, reference), "\(difference(streamed, reference))")
  }

  @Test func streamsSharingAModelStayDeterministicWhenReadConcurrently() throws {
    let model = try MicroModels.model()
    let seeds: [UInt64] = [12, 13, 12, 14]
    let chunks = 4
    func alone(_ seed: UInt64) throws -> [Tensor] {
      let stream = try MusicStream(model: model, controls: .init(seed: seed, truncation: 2), chunkVectors: 16)
      return try (0..<chunks).map { _ in try stream.read() }
    }
    let reference = try seeds.map(alone)

    // Interleaved on one thread: chunk k of every stream before chunk k+1 of any.
    let interleavedStreams = try seeds.map { try MusicStream(model: model, controls: .init(seed: $0, truncation: 2), chunkVectors: 16) }
    var interleaved = [[Tensor]](repeating: [], count: seeds.count)
    for _ in 0..<chunks {
      for (i, stream) in interleavedStreams.enumerated() { interleaved[i].append(try stream.read()) }
    }

    // In parallel on four threads of their own (not a shared pool, which a busy test run may serialise);
    // before each chunk every thread waits at a barrier, so the four reads of chunk k start together.
    // Each read's time span is recorded to show that reads of different streams did overlap.
    final class Record: @unchecked Sendable {
      let lock = NSCondition()
      var chunks = [[Tensor]](repeating: [], count: 4)
      var spans: [(stream: Int, start: UInt64, end: UInt64)] = []
      var errors: [String] = []
      var arrived = 0
      var generation = 0
      let parties: Int
      init(parties: Int) { self.parties = parties }
      func barrier() {
        lock.lock()
        let mine = generation
        arrived += 1
        if arrived == parties {
          arrived = 0
          generation += 1
          lock.broadcast()
        } else {
          while generation == mine { lock.wait() }
        }
        lock.unlock()
      }
    }
    let record = Record(parties: seeds.count)
    let done = DispatchGroup()
    for i in seeds.indices {
      done.enter()
      let thread = Thread {
        defer { done.leave() }
        // A failure still meets every barrier, so the other threads never wait for it forever.
        let stream = try? MusicStream(model: model, controls: .init(seed: seeds[i], truncation: 2), chunkVectors: 16)
        var failed = stream == nil
        for _ in 0..<chunks {
          record.barrier()
          guard !failed, let stream else { continue }
          do {
            let start = DispatchTime.now().uptimeNanoseconds
            let chunk = try stream.read()
            let end = DispatchTime.now().uptimeNanoseconds
            record.lock.lock()
            record.chunks[i].append(chunk)
            record.spans.append((i, start, end))
            record.lock.unlock()
          } catch {
            failed = true
            record.lock.lock()
            record.errors.append("\(error)")
            record.lock.unlock()
          }
        }
        if stream == nil {
          record.lock.lock()
          record.errors.append("stream \(i) could not be opened")
          record.lock.unlock()
        }
      }
      thread.start()
    }
    done.wait()
    #expect(record.errors.isEmpty, "\(record.errors)")
    let overlaps = record.spans.enumerated().flatMap { (a, x) in
      record.spans.dropFirst(a + 1).filter { y in y.stream != x.stream && y.start < x.end && x.start < y.end }
    }.count
    #expect(overlaps > 0, "no two reads of different streams ran at the same time")
    for i in seeds.indices {
      for k in 0..<chunks {
        #expect(identical(interleaved[i][k], reference[i][k]), "interleaved stream \(i) chunk \(k)")
        #expect(identical(record.chunks[i][k], reference[i][k]), "parallel stream \(i) chunk \(k)")
      }
    }
  }

  @Test func aControlChangeMidStreamRampsInWithoutAJump() throws {
    let model = try MicroModels.model(MicroModels.tempo)
    let plain = try MusicStream(model: model, controls: .init(seed: 4, truncation: 2, tempo: 100))
    let steered = try MusicStream(model: model, controls: .init(seed: 4, truncation: 2, tempo: 100))
    var a: [Tensor] = []
    var b: [Tensor] = []
    for chunk in 0..<5 {
      if chunk == 2 { try steered.change(.init(seed: 77, truncation: 1.0, tempo: 150)) }
      a.append(try plain.read())
      b.append(try steered.read())
    }
    let before = Tensor.cat(Array(a.prefix(2)), dim: 1)
    // Everything emitted before the change is untouched.
    let steeredBefore = Tensor.cat(Array(b.prefix(2)), dim: 1)
    #expect(identical(steeredBefore, before), "\(difference(steeredBefore, before))")
    // It takes effect: the last chunk differs clearly.
    #expect((a[4] - b[4]).abs().mean().item() > 0.1 * a[4].abs().mean().item())
    // No jump: around the chunk where the change starts, sample-to-sample steps stay within the
    // largest step seen anywhere in the unchanged stream.
    let x = Tensor.cat(b, dim: 1)
    let steps = (x.narrow(dim: 1, start: 1, length: x.size(1) - 1) - x.narrow(dim: 1, start: 0, length: x.size(1) - 1)).abs()
    let boundary = plain.chunkRange(2).lowerBound
    let nearChange = steps.narrow(dim: 1, start: boundary - 4096, length: 8192).amax().item()
    let y = Tensor.cat(a, dim: 1)
    let reference = (y.narrow(dim: 1, start: 1, length: y.size(1) - 1) - y.narrow(dim: 1, start: 0, length: y.size(1) - 1))
      .abs().amax().item()
    #expect(nearChange <= 1.25 * reference, "step \(nearChange) at the change vs \(reference) elsewhere")
  }

  @Test func conditioningChannelsReachTheGenerator() throws {
    let model = try MicroModels.model(MicroModels.both)
    func latents(tempo: Double, density: Double) throws -> [Float] {
      let timeline = ControlTimeline(config: model.config, controls: .init(seed: 2, truncation: 2, tempo: tempo, density: .constant(density)),
                                     secondsPerVector: model.secondsPerVector, loopVectors: nil)
      let inputs = try timeline.inputs(start: 0, count: MicroModels.gan.windowVectors)
      return withNoGrad {
        Self.samples(model.generator(inputs.unsqueeze(0), noise: NoiseSource(seed: 11)))
      }
    }
    let base = try latents(tempo: 120, density: 3)
    #expect(try latents(tempo: 120, density: 3) == base)
    #expect(try latents(tempo: 140, density: 3) != base)
    #expect(try latents(tempo: 120, density: 5) != base)
    // And the audio follows.
    let slow = try MusicStream(model: model, controls: .init(seed: 2, truncation: 2, tempo: 90)).render(seconds: 3)
    let fast = try MusicStream(model: model, controls: .init(seed: 2, truncation: 2, tempo: 150)).render(seconds: 3)
    #expect(!identical(slow, fast))
  }

  /// A beat clock turns at the asked tempo, bends without a jump when the tempo changes, and any
  /// span of it computes on its own.
  @Test func aBeatClockFollowsTheTempoAndSpansComputeAlone() throws {
    var gan = MicroModels.gan
    gan.clockChannels = TempoClock.channelCount
    let model = try GANModel.untrained(gan: gan, codec: MicroModels.codec, conditioning: MicroModels.tempo, seed: 1)
    let window = gan.windowVectors
    let channels = model.config.gan.inputChannels
    let spv = model.secondsPerVector
    func perVector(_ bpm: Double) -> Double { (bpm / 60 * spv).truncatingRemainder(dividingBy: 1) }
    func timeline(_ tempo: Double) -> ControlTimeline {
      ControlTimeline(config: model.config, controls: .init(seed: 2, truncation: 2, tempo: tempo), secondsPerVector: spv, loopVectors: nil)
    }
    // Beat phase (in beats, 0..<1) of each vector, from the clock's sine and cosine rows.
    func phases(_ inputs: Tensor) -> [Double] {
      let rows = inputs.narrow(dim: 0, start: channels - 4, length: 2).to(dtype: .float64).toArray(of: Double.self)
      let n = inputs.size(1)
      return (0..<n).map { t in (atan2(rows[t], rows[n + t]) / (2 * .pi) + 1).truncatingRemainder(dividingBy: 1) }
    }
    func advance(_ p: [Double], _ t: Int) -> Double { (p[t + 1] - p[t] + 1).truncatingRemainder(dividingBy: 1) }
    let whole = try timeline(120).inputs(start: 0, count: 2 * window)
    #expect(whole.size(0) == channels)
    let p = phases(whole)
    #expect(Swift.abs(advance(p, 5) - perVector(120)) < 1e-5, "120 BPM: 2 beats per second")
    let alone = try timeline(120).inputs(start: window, count: window)
    #expect(identical(alone, whole.narrow(dim: 1, start: window, length: window)))
    // 120 → 150 BPM from vector 10 over 4 vectors: the clock speeds up, continuously.
    var changing = timeline(120)
    changing.schedule(.init(seed: 2, truncation: 2, tempo: 150), at: 10, ramp: 4)
    let q = phases(try changing.inputs(start: 0, count: window))
    #expect(Swift.abs(advance(q, 5) - perVector(120)) < 1e-5)
    #expect(Swift.abs(advance(q, 20) - perVector(150)) < 1e-5)
    let (low, high) = (min(perVector(120), perVector(150)), max(perVector(120), perVector(150)))
    for t in 5..<20 { #expect(advance(q, t) >= low - 1e-5 && advance(q, t) <= high + 1e-5, "vector \(t)") }
    // Forgetting the past keeps the clock where it was.
    var forgetting = changing
    forgetting.forget(before: window)
    #expect(identical(try forgetting.inputs(start: window, count: window), try changing.inputs(start: window, count: window)))
    // The generator reads it; a stream with it stays deterministic.
    let a = try MusicStream(model: model, controls: .init(seed: 3, truncation: 2, tempo: 130)).render(seconds: 3)
    #expect(identical(a, try MusicStream(model: model, controls: .init(seed: 3, truncation: 2, tempo: 130)).render(seconds: 3)))
    // A clock without a tempo condition is refused.
    #expect(throws: MusikaError.self) { try GANModel.untrained(gan: gan, codec: MicroModels.codec, conditioning: .none) }
  }

  @Test func densityCurvesAreReadAndInterpolated() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("curve-\(UUID()).txt")
    defer { try? FileManager.default.removeItem(at: url) }
    try "seconds,density\n0, 1\n10 5  # rising\n\n20\t5\n".write(to: url, atomically: true, encoding: .utf8)
    let curve = try DensityCurve(contentsOf: url)
    #expect(curve.value(at: -1) == 1)
    #expect(curve.value(at: 5) == 3)
    #expect(curve.value(at: 15) == 5)
    #expect(curve.value(at: 99) == 5)
    try "0 1\n0 2\n".write(to: url, atomically: true, encoding: .utf8)
    #expect(throws: MusikaError.self) { try DensityCurve(contentsOf: url) }
    try "0 one\n".write(to: url, atomically: true, encoding: .utf8)
    #expect(throws: MusikaError.self) { try DensityCurve(contentsOf: url) }
  }

  @Test func aLoopRepeatsSeamlessly() throws {
    let model = try MicroModels.model()
    let stream = try MusicStream(model: model, controls: .init(seed: 8, truncation: 2), loopSeconds: 6)
    let loop = try stream.renderLoop()
    let period = loop.size(1)
    #expect(period == stream.loopVectors! * model.codec.samplesPerVector)
    // The stream two periods in equals the loop: playing the loop twice is the stream itself.
    let continued = try MusicStream(model: model, controls: .init(seed: 8, truncation: 2), start: Double(2 * period) / 44_100,
                                    loopSeconds: 6).render(seconds: Double(period) / 44_100)
    #expect((continued - loop).abs().amax().item() < 1e-5)
  }

  @Test func controlsThatTheModelDoesNotTakeAreRejected() throws {
    let model = try MicroModels.model()
    #expect(throws: MusikaError.self) { try MusicStream(model: model, controls: .init(seed: 1, truncation: 2, tempo: 120)) }
    #expect(throws: MusikaError.self) { try MusicStream(model: model, controls: .init(seed: 1, truncation: 0)) }
    let tempoModel = try MicroModels.model(MicroModels.tempo)
    #expect(throws: MusikaError.self) { try MusicStream(model: tempoModel, controls: .init(seed: 1, truncation: 2, density: .constant(2))) }
  }

  @Test func modelFoldersRoundTrip() throws {
    let model = try MicroModels.model(MicroModels.tempo)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UUID())")
    defer { try? FileManager.default.removeItem(at: folder) }
    try model.save(to: folder, card: "# micro\n")
    let loaded = try GANModel.load(from: folder)
    #expect(loaded.config == model.config)
    #expect(loaded.card == "# micro\n")
    let a = try MusicStream(model: model, controls: .init(seed: 1, truncation: 2, tempo: 130)).render(seconds: 2)
    let b = try MusicStream(model: loaded, controls: .init(seed: 1, truncation: 2, tempo: 130)).render(seconds: 2)
    #expect(identical(a, b), "\(difference(a, b))")
    #expect(throws: MusikaError.self) { try GANModel.load(from: folder.appendingPathComponent("codec")) }
  }
}
