import Audio
import Foundation
import Torch

/// Endless stereo music from a GAN model, produced chunk by chunk in constant memory.
///
/// Pipeline, for chunk j (`firstChunkVectors` = 16 vectors = 1.49 s for the first, so audio starts
/// soon; then `chunkVectors` each, 64 = 5.9 s by default at 44.1 kHz: longer chunks spend less on
/// decoder context, shorter ones react sooner to control changes; renders of a whole piece use
/// `renderingChunkVectors`. The chunk size changes the speed, not the audio (up to float rounding; a
/// live `change(_:)` takes effect at a chunk boundary, so there it matters)):
///
///   coordinates (seed, position) → generator windows (w vectors each, made once and cached)
///   → latents → `StreamingDecoder` (DEC2, DEC, overlap-add inverse STFT) → (2, samples) audio.
///
/// Every random draw derives from the seed and a position (anchor k, generator window k, the
/// decoders' absolute frame), so the samples of any span are the same whether the stream started at 0 or was opened
/// at `start`: streams are seekable. Control changes ramp in; see `change(_:)`.
public final class MusicStream: @unchecked Sendable {
  public let model: GANModel
  /// Latent vectors per decoded chunk (after the first).
  public let chunkVectors: Int
  /// Latent vectors of the first chunk.
  public static let firstChunkVectors = 16
  public var firstChunkVectors: Int { Self.firstChunkVectors }
  /// Chunk size of a stream that plays as it is made: 5.9 s at 44.1 kHz, so that control changes are
  /// heard within about two chunks.
  public static let streamingChunkVectors = 64
  /// Chunk size of a piece rendered whole (`musika generate`): 128 vectors ran fastest on a 2-core
  /// AVX-512 Xeon (full size, fp32, `musika bench generate --seconds 120 --chunk-vectors N`, 4
  /// alternating rounds: 64 → 36.4–39.8×, 96 → 36.1–39.7×, 128 → 41.1–41.8× real time; at 60 s,
  /// 192 → 33×): less decoder context per second than 64, while the activations still fit the caches.
  public static let renderingChunkVectors = 128
  /// Vectors over which a live control change ramps in (1.5 s at 44.1 kHz).
  public static let rampVectors = 16
  /// Loop length in vectors: the audio repeats exactly with this period (nil: endless, no repeat).
  public let loopVectors: Int?
  /// Seed of the generator's and decoders' noise: fixed for the stream's life.
  public let noiseSeed: UInt64

  private let pendingLock = NSLock()
  private var pending: [GenerationControls] = []
  private let lock = NSLock()
  private var timeline: ControlTimeline
  private var windows: [Int: Tensor] = [:]
  private let decoder: StreamingDecoder
  private var nextChunk: Int
  private var skip: Int
  /// First vector that has not yet influenced any emitted sample.
  private var frontier = 0
  private var emitted: Int
  private var generatorSeconds = 0.0

  /// - Parameters:
  ///   - start: seconds to skip; the samples equal the same span of a stream started at 0 (with DEC's
  ///     phase head; a phase integrated from the magnitude runs on from the start, so the same sound).
  ///   - loopSeconds: make the audio repeat seamlessly with this period, rounded to whole windows.
  ///   - chunkVectors: vectors per chunk after the first: `streamingChunkVectors` for audio that plays
  ///     as it is made, `renderingChunkVectors` for a piece rendered whole. Same audio either way (up
  ///     to float rounding), except where a live `change(_:)` lands.
  public init(model: GANModel, controls: GenerationControls, start: Double = 0, loopSeconds: Double? = nil,
              chunkVectors: Int = MusicStream.streamingChunkVectors) throws {
    let controls = controls.completed(for: model.config)
    try controls.validate(for: model.config)
    let window = model.config.gan.windowVectors
    guard chunkVectors >= 16, chunkVectors % 16 == 0 else {
      throw MusikaError.invalidInput("chunkVectors must be a positive multiple of 16 (got \(chunkVectors))")
    }
    guard start >= 0, start.isFinite else { throw MusikaError.invalidInput("start must be ≥ 0 seconds (got \(start))") }
    self.model = model
    self.chunkVectors = chunkVectors
    if let loopSeconds {
      guard loopSeconds > 0, loopSeconds.isFinite else {
        throw MusikaError.invalidInput("loop length must be positive (got \(loopSeconds))")
      }
      // Whole generator windows; the decoders' noise repeats with any period (it is tied to positions).
      let period = window
      let periods = max(1, Int((loopSeconds / (Double(period) * model.secondsPerVector)).rounded()))
      loopVectors = periods * period
    } else {
      loopVectors = nil
    }
    noiseSeed = controls.seed
    timeline = ControlTimeline(config: model.config, controls: controls, secondsPerVector: model.secondsPerVector,
                               loopVectors: loopVectors)
    decoder = StreamingDecoder(codec: model.codec, noisePeriodVectors: loopVectors)
    let startSample = Int((start * Double(model.sampleRate)).rounded())
    nextChunk = Self.chunk(containing: startSample / model.codec.samplesPerVector, first: Self.firstChunkVectors,
                           size: chunkVectors)
    skip = startSample - Self.start(of: nextChunk, first: Self.firstChunkVectors, size: chunkVectors)
      * model.codec.samplesPerVector
    emitted = startSample
    if nextChunk > 0 {
      _ = try decode(chunk: nextChunk - 1)  // primes the inverse STFT's overlap tail
    }
  }

  /// Samples of chunk j of the stream (counted from its beginning).
  public func chunkRange(_ j: Int) -> Range<Int> {
    let start = Self.start(of: j, first: firstChunkVectors, size: chunkVectors)
    let end = Self.start(of: j + 1, first: firstChunkVectors, size: chunkVectors)
    return (start * model.codec.samplesPerVector)..<(end * model.codec.samplesPerVector)
  }

  static func start(of chunk: Int, first: Int, size: Int) -> Int { chunk == 0 ? 0 : first + (chunk - 1) * size }

  static func chunk(containing vector: Int, first: Int, size: Int) -> Int {
    vector < first ? 0 : 1 + (vector - first) / size
  }
  public var sampleRate: Int { model.sampleRate }
  /// Samples emitted so far, counted from the stream's beginning (a seek starts there).
  public var position: Int { lock.withLock { emitted } }
  /// Loop length in seconds, when looping.
  public var loopSeconds: Double? { loopVectors.map { Double($0) * model.secondsPerVector } }
  /// The controls in force (once ramps complete).
  public var controls: GenerationControls { lock.withLock { timeline.latest } }

  /// Changes the controls while the stream plays. The change applies from the first latent vector
  /// that has not yet influenced any emitted sample and ramps in over `rampVectors`: coordinates and
  /// conditions blend, and generator windows already made are cross-faded in latent space to the
  /// regenerated ones, so the audio never jumps. Thread-safe; a listener hears it within about two
  /// chunks.
  public func change(_ controls: GenerationControls) throws {
    guard loopVectors == nil else { throw MusikaError.invalidInput("a looping stream cannot change its controls") }
    let controls = controls.completed(for: model.config)
    try controls.validate(for: model.config)
    pendingLock.withLock { pending.append(controls) }
  }

  /// Schedules controls from `vector` on, ramping in over `ramp` vectors — for renders that are
  /// planned ahead (a style morph), before any audio is read.
  public func schedule(_ controls: GenerationControls, atVector vector: Int, ramp: Int) throws {
    let controls = controls.completed(for: model.config)
    try controls.validate(for: model.config)
    try lock.withLock {
      guard frontier == 0, windows.isEmpty else {
        throw MusikaError.invalidInput("schedule controls before reading audio; use change(_:) while playing")
      }
      timeline.schedule(controls, at: vector, ramp: ramp)
    }
  }

  /// The next chunk of audio: (2, samples) float32, `chunkRange(j)` long (the first after a seek may
  /// be shorter).
  public func read() throws -> Tensor {
    try lock.withLock {
      applyPendingChanges()
      var audio = try decode(chunk: nextChunk)
      if model.config.outputGain != 1 { audio = audio * model.config.outputGain }
      nextChunk += 1
      if skip > 0 {
        audio = audio.narrow(dim: 1, start: skip, length: audio.size(1) - skip)
        skip = 0
      }
      emitted += audio.size(1)
      return audio
    }
  }

  /// The next `seconds` of audio in one piece: (2, round(seconds · rate)).
  public func render(seconds: Double) throws -> Tensor {
    let total = Int((seconds * Double(sampleRate)).rounded())
    guard total > 0 else { throw MusikaError.invalidInput("length must be positive (got \(seconds) s)") }
    var pieces: [Tensor] = []
    var have = 0
    while have < total {
      let chunk = try read()
      let take = min(chunk.size(1), total - have)
      pieces.append(take == chunk.size(1) ? chunk : chunk.narrow(dim: 1, start: 0, length: take))
      have += take
    }
    return pieces.count == 1 ? pieces[0] : Tensor.cat(pieces, dim: 1)
  }

  /// One loop period, ready to repeat seamlessly: its last sample flows into its first.
  public func renderLoop() throws -> Tensor {
    guard let loopVectors else { throw MusikaError.invalidInput("this stream was not opened with a loop length") }
    // The loop's steady state: skip the first period, whose start lacks left context.
    let period = loopVectors * model.codec.samplesPerVector
    let loop = try MusicStream(model: model, controls: timeline.base, start: Double(period) / Double(sampleRate),
                               loopSeconds: loopSeconds, chunkVectors: chunkVectors)
    return try loop.render(seconds: Double(period) / Double(sampleRate))
  }

  /// The generated latents of vectors `range` (latentChannels, range.count), for analysis: the
  /// sequence the codec decodes, before any audio is made.
  public func latentSequence(_ range: Range<Int>) throws -> Tensor {
    try lock.withLock { try latents(range.lowerBound, range.upperBound) }
  }

  /// Seconds spent so far in the generator, and in each decoding stage (`musika bench generate`).
  public var stageSeconds: (generator: Double, decode: DecodeStageSeconds) {
    lock.withLock { (generatorSeconds, decoder.stageSeconds) }
  }

  /// Audio chunks as they are made, one chunk computed ahead of the consumer.
  public func chunks() -> AudioChunks { AudioChunks(stream: self) }

  // MARK: Inside

  private func applyPendingChanges() {
    let changes = pendingLock.withLock { () -> [GenerationControls] in
      defer { pending.removeAll() }
      return pending
    }
    let window = model.config.gan.windowVectors
    for controls in changes {
      let start = frontier
      timeline.schedule(controls, at: start, ramp: Self.rampVectors)
      // Windows already made that reach past the frontier: regenerate them and cross-fade from the
      // old latents (identical before the frontier, so nothing already heard is contradicted).
      for (index, old) in windows where (index + 1) * window > start {
        guard index * window < start else { windows[index] = nil; continue }
        guard let fresh = try? generateWindow(index) else { continue }
        let weights = (0..<window).map { offset -> Float in
          Float(min(max(Double(index * window + offset - start + 1) / Double(Self.rampVectors), 0), 1))
        }
        let beta = Tensor(weights).unsqueeze(0)
        windows[index] = old + (fresh - old) * beta
      }
    }
  }

  private func generateWindow(_ index: Int) throws -> Tensor {
    let window = model.config.gan.windowVectors
    let inputs = try timeline.inputs(start: index * window, count: window)
    let cycle = loopVectors.map { index % ($0 / window) } ?? index
    let started = ContinuousClock.now
    defer { generatorSeconds += (ContinuousClock.now - started).seconds }
    return withNoGrad {
      let noise = NoiseSource(seed: Seed.derive(noiseSeed, ["generator", .int(cycle)]))
      return model.generator(inputs.unsqueeze(0), noise: noise).squeeze(0)  // (latentChannels, window)
    }
  }

  /// Latents of vectors start ..< end: (latentChannels, end − start).
  private func latents(_ start: Int, _ end: Int) throws -> Tensor {
    let window = model.config.gan.windowVectors
    var pieces: [Tensor] = []
    for index in (start / window)...((end - 1) / window) {
      let latents: Tensor
      if let cached = windows[index] {
        latents = cached
      } else {
        timeline.forget(before: index * window)
        latents = try generateWindow(index)
        windows[index] = latents
      }
      let from = max(start, index * window)
      let to = min(end, (index + 1) * window)
      pieces.append(latents.narrow(dim: 1, start: from - index * window, length: to - from))
    }
    return pieces.count == 1 ? pieces[0] : Tensor.cat(pieces, dim: 1)
  }

  /// Audio of chunk j: (2, samples of `chunkRange(j)`), through the codec's `StreamingDecoder`.
  private func decode(chunk j: Int) throws -> Tensor {
    let first = Self.start(of: j, first: firstChunkVectors, size: chunkVectors)
    let count = Self.start(of: j + 1, first: firstChunkVectors, size: chunkVectors) - first
    let reach = decoder.vectorReach
    frontier = max(frontier, first + count + reach)
    for index in windows.keys where (index + 1) * model.config.gan.windowVectors <= first - reach { windows[index] = nil }
    // The decoders' noise is tied to positions (repeating with a loop's period), so one pair of seeds
    // serves the whole stream and the chunk size does not change the audio.
    return try decoder.audio(vectors: first..<(first + count), available: nil,
                             latents: { try latents($0.lowerBound, $0.upperBound) },
                             noiseSeeds: StreamingDecoder.noiseSeeds(piece: noiseSeed))
  }
}

/// A stereo chunk of a stream: samples (2, frames) float32 starting at sample `start` of the stream.
public struct AudioChunk: Sendable {
  public let start: Int
  public let samples: Tensor

  public init(start: Int, samples: Tensor) {
    self.start = start
    self.samples = samples
  }

  public var frames: Int { samples.size(1) }

  /// The first `count` frames (all of them if the chunk is shorter).
  public func prefix(_ count: Int) -> AudioChunk {
    count >= frames ? self : AudioChunk(start: start, samples: samples.narrow(dim: 1, start: 0, length: max(0, count)))
  }

  /// Frames interleaved left, right, left, right…
  public func interleaved() -> [Float] { samples.transposed(0, 1).contiguous().toArray(of: Float.self) }
}

/// The chunks of a `MusicStream` as an async sequence. While the consumer handles one chunk, the
/// next is computed on another thread, so playback never waits on the model when it runs faster
/// than real time.
public struct AudioChunks: AsyncSequence, Sendable {
  public typealias Element = AudioChunk
  let stream: MusicStream

  public func makeAsyncIterator() -> Iterator { Iterator(stream: stream) }

  public struct Iterator: AsyncIteratorProtocol {
    let stream: MusicStream
    var ahead: Task<AudioChunk, Error>?

    init(stream: MusicStream) { self.stream = stream }

    private static func make(_ stream: MusicStream) -> Task<AudioChunk, Error> {
      Task.detached(priority: .userInitiated) {
        let start = stream.position
        return AudioChunk(start: start, samples: try stream.read())
      }
    }

    public mutating func next() async throws -> AudioChunk? {
      if Task.isCancelled { ahead?.cancel(); return nil }
      let current = ahead ?? Self.make(stream)
      let chunk = try await current.value
      ahead = Self.make(stream)
      return chunk
    }
  }
}
