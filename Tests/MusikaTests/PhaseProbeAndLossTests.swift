import Audio
import Foundation
import Testing
import Torch

@testable import Musika

/// The phase-derivative loss (what teaches DEC's phase head within-bin frequency) and the mid-bin
/// pitch probe (what measures it).
@Suite("Phase loss and pitch probe")
struct PhaseProbeAndLossTests {
  static let rate = 22_050
  static let stft = STFT(nFFT: 1024, hop: 256)

  /// A tone exactly between two bins (bins 21.5 Hz apart), (1, samples).
  static func midBinTone(bin: Int = 12, seconds: Double = 1) -> Tensor {
    let f = (Double(bin) + 0.5) * Double(rate) / Double(stft.nFFT)
    let t = Tensor.arange(0, Double(Int(seconds * Double(rate))), dtype: .float32) / Double(rate)
    return ((t * (2 * Double.pi * f)).sin() * 0.5).unsqueeze(0)
  }

  @Test func phaseLossIsZeroForTheTruePhaseWhateverItsOffset() throws {
    let spectrum = try Self.stft(Self.midBinTone())  // (1, bins, frames)
    let loss = PhaseDerivativeLoss()
    let exact = loss(predicted: spectrum.angle(), target: spectrum)
    #expect(exact.advance.item() < 1e-4 && exact.groupDelay.item() < 1e-4)
    // Absolute phase is arbitrary: a constant offset (and whole turns) costs nothing.
    let shifted = loss(predicted: spectrum.angle() + 1.3 + 4 * Double.pi, target: spectrum)
    #expect(shifted.advance.item() < 1e-4 && shifted.groupDelay.item() < 1e-4)
  }

  @Test func phaseLossPunishesBinCentreAdvanceOfAToneBetweenBins() throws {
    let spectrum = try Self.stft(Self.midBinTone(bin: 12))
    let (bins, frames) = (spectrum.size(1), spectrum.size(2))
    let k = Tensor.arange(0, Double(bins), dtype: .float32).reshape([1, bins, 1])
    let t = Tensor.arange(0, Double(frames), dtype: .float32).reshape([1, 1, frames])
    let turnPerHop = 2 * Double.pi * Double(Self.stft.hop) / Double(Self.stft.nFFT)
    // Every bin turning at the tone's own rate (12.5 bins), the instantaneous frequency: free.
    let toneRate = (t * (12.5 * turnPerHop)).expand([1, bins, frames])
    let right = PhaseDerivativeLoss()(predicted: toneRate, target: spectrum).advance.item()
    // Each bin turning at its own centre rate: what a codec that snaps tones to bin centres
    // produces. The two loudest bins are off by π/4 per frame (1 − cos = 0.29), their neighbours by
    // 3π/4 (1.71), so the magnitude-weighted mean lands near 0.6.
    let centreRate = k * t * turnPerHop
    let wrong = PhaseDerivativeLoss()(predicted: centreRate, target: spectrum).advance.item()
    #expect(right < 0.01, "tone-rate loss \(right)")
    #expect(wrong > 0.4 && wrong < 0.8, "centre-rate loss \(wrong)")
  }

  @Test func probeReadsAnExactCopyAsInTuneAndABinCentreCopyAsDetuned() throws {
    let probe = MidBinPitchProbe(sampleRate: Self.rate, nFFT: 1024)
    let exact = probe.measure(output: probe.signal)
    #expect(exact.cents.allSatisfy { abs($0) <= 2 }, "\(exact.cents)")
    #expect(abs(exact.levelChange) < 0.01)
    #expect(exact.tonesInTune == 8)
    #expect(exact.prominences.allSatisfy { $0 >= 15 })
    // The same plucks at the bin centre just below each tone: half a bin flat.
    let binWidth = Double(Self.rate) / 1024
    var lowered = [Float](repeating: 0, count: probe.signal.count)
    for (index, f) in probe.frequencies.enumerated() {
      let g = f - binWidth / 2
      for i in 0..<(Self.rate / 2) {
        let t = Double(i) / Double(Self.rate)
        let tone = (1...4).reduce(0.0) { $0 + sin(2 * .pi * g * Double($1) * t) / Double($1) }
        lowered[index * Self.rate / 2 + i] = Float(0.3 * exp(-2 * t) * tone)
      }
    }
    let detuned = probe.measure(output: lowered)
    for (cents, f) in zip(detuned.cents, probe.frequencies) {
      let expected = 1200 * log2((f - binWidth / 2) / f)
      #expect(abs(cents - expected) <= 3, "\(f) Hz: \(cents) cents, expected \(expected)")
    }
    #expect(detuned.tonesInTune == 0)
    #expect(detuned.summary.contains("0/8 within 50 cents"))
  }

  /// One loud bin (k = 12) with a steady phase output of 0.25: read as `advance`, the bin turns a
  /// quarter of π faster than its centre per frame, half a bin up; read as `absolute`, a steady phase
  /// can only give the bin centre (k a multiple of nFFT/hop, so the frames add coherently).
  @Test(arguments: PhaseRepresentation.allCases)
  func aSteadyPhaseOutputGivesTheFrequencyItsRepresentationMeans(phase: PhaseRepresentation) throws {
    let config = CodecConfig.musika44k.scaled(by: 1.0 / 16, name: "micro").withPhase(phase)
    let codec = try SpectralCodec(config: config)
    let (bins, frames, k) = (config.bins, 400, 12)
    var values = [Float](repeating: -1, count: bins * frames)  // the floor, except bin k
    for t in 0..<frames { values[k * frames + t] = 0.8 }
    let loud = Tensor(values, shape: [1, bins, frames])
    let audio = try codec.synthesize(magnitude: loud, phase: Tensor.full([1, bins, frames], value: 0.25))
    let samples = audio.select(dim: 0, index: 0).contiguous().toArray(of: Float.self)
    let interior = Array(samples[4096..<(samples.count - 4096)])
    let binWidth = Double(config.sampleRate) / Double(config.nFFT)
    let expected = phase == .advance ? (Double(k) + 0.5) * binWidth : Double(k) * binWidth
    let peak = Spectrum.strongest(in: interior, rate: config.sampleRate, around: expected, semitones: 2)
    let cents = 1200 * log2(peak.frequency / expected)
    #expect(abs(cents) <= 5, "\(phase): peak at \(peak.frequency) Hz, expected \(expected) Hz")
  }

  /// The probe's true STFT magnitude, natural log, (1, frames, bins) row-major, and its frame count.
  static func probeLogMagnitude(_ probe: MidBinPitchProbe, stft: STFT) throws -> (values: [Float], frames: Int) {
    let spectrum = try stft(Tensor(probe.signal, shape: [1, probe.signal.count]))
    let log = (spectrum.abs().to(dtype: .float64).maximum(1e-12)).log().transposed(1, 2)
    return (log.contiguous().toArray(of: Float.self), spectrum.size(2))
  }

  /// The probe measured on audio made from natural-log magnitudes and phase angles, both (1, frames,
  /// bins) row-major, by the inverse STFT.
  static func measureResynthesis(_ probe: MidBinPitchProbe, log: [Float], angles: [Float], frames: Int) -> MidBinPitchProbe.Result {
    let magnitude = Tensor(log, shape: [1, frames, stft.bins]).to(dtype: .float64).exp().transposed(1, 2)
    let phase = Tensor(angles, shape: [1, frames, stft.bins]).to(dtype: .float64).transposed(1, 2)
    let audio = InverseSTFT(stft: stft)(Tensor.polar(magnitude: magnitude.contiguous(), phase: phase.contiguous()))
    return probe.measure(output: audio.to(dtype: .float32).contiguous().toArray(of: Float.self))
  }

  @Test func phaseIntegratedFromTheTrueMagnitudeKeepsEveryMidBinToneInTune() throws {
    // What `--phase-from magnitude` rests on: from the magnitude alone, each tone between two bins
    // comes back at its own frequency and level (a bin-centre phase would be up to 98 cents off).
    let probe = MidBinPitchProbe(sampleRate: Self.rate, nFFT: 1024)
    let (log, frames) = try Self.probeLogMagnitude(probe, stft: Self.stft)
    let integrator = PhaseGradientIntegrator(stft: Self.stft, channels: 1)
    let angles = integrator.angles(logMagnitude: log, frames: frames, next: nil)
    let result = Self.measureResynthesis(probe, log: log, angles: angles, frames: frames)
    #expect(result.cents.allSatisfy { abs($0) <= 4 }, "\(result.summary)")
    #expect(abs(result.levelChange) < 0.5, "\(result.summary)")
  }

  @Test func theIntegrationFloorLeavesTonesAboveItInTune() throws {
    // Bins under `floorDecibels` (the window's skirts here) are left out of the integration's order
    // and continue along time; the tones above it keep their pitch and level. With every bin under
    // it, nothing is ordered and the tones are not all in tune: the floor is what changed.
    let probe = MidBinPitchProbe(sampleRate: Self.rate, nFFT: 1024)
    let (log, frames) = try Self.probeLogMagnitude(probe, stft: Self.stft)
    func measure(floorDecibels: Double?) -> (angles: [Float], result: MidBinPitchProbe.Result) {
      let integrator = PhaseGradientIntegrator(stft: Self.stft, channels: 1, floorDecibels: floorDecibels)
      let angles = integrator.angles(logMagnitude: log, frames: frames, next: nil)
      return (angles, Self.measureResynthesis(probe, log: log, angles: angles, frames: frames))
    }
    let unfloored = measure(floorDecibels: nil)
    let floored = measure(floorDecibels: PhaseTrack.integrationFloorDecibels)
    #expect(floored.angles != unfloored.angles)
    #expect(floored.result.cents.allSatisfy { abs($0) <= 4 }, "\(floored.result.summary)")
    #expect(abs(floored.result.levelChange) < 0.5, "\(floored.result.summary)")
    // 200 dB above a full-scale sine: every bin under the floor.
    let timeOnly = measure(floorDecibels: -200).result
    #expect(!timeOnly.cents.allSatisfy { abs($0) <= 4 }, "\(timeOnly.summary)")
  }

  /// A frame of many separate components (islands of bins above the tolerance, nothing to continue
  /// from): each starts from its strongest bin, the lowest of equals, at phase 0, and its neighbours
  /// follow from it (a steady frame steps the phase by π per bin). The integrator finds each start in
  /// a queue by level rather than by scanning the frame; this holds it to the scan's choice.
  @Test func eachNewComponentStartsAtItsStrongestBin() {
    let bins = Self.stft.bins
    var log = [Float](repeating: -40, count: bins)  // far under the tolerance: not integrated
    var peaks: [Int] = [], seconds: [Int] = []
    for (i, start) in stride(from: 2, to: bins - 4, by: 5).enumerated() {
      let level = Float(-((i * 7) % 13)) * 0.5  // levels repeat across islands
      if i % 4 == 0 {  // two equal maxima: the lower bin starts
        (log[start], log[start + 1], log[start + 2]) = (level - 1, level, level)
        peaks.append(start + 1)
        seconds.append(start + 2)
      } else {
        (log[start], log[start + 1], log[start + 2]) = (level - 1, level, level - 2)
        peaks.append(start + 1)
      }
    }
    let angles = PhaseGradientIntegrator(stft: Self.stft, channels: 1).angles(logMagnitude: log, frames: 1, next: nil)
    #expect(peaks.count > 90)
    #expect(peaks.allSatisfy { angles[$0] == 0 }, "\(peaks.filter { angles[$0] != 0 }.map { ($0, angles[$0]) })")
    #expect(seconds.allSatisfy { abs(abs(angles[$0]) - Float.pi) < 1e-5 }, "\(seconds.map { angles[$0] })")
  }

  @Test func phaseIntegratedSpanBySpanEqualsThePieceAtOnce() throws {
    let probe = MidBinPitchProbe(sampleRate: Self.rate, nFFT: 1024)
    let (log, frames) = try Self.probeLogMagnitude(probe, stft: Self.stft)
    let bins = Self.stft.bins
    let whole = PhaseGradientIntegrator(stft: Self.stft, channels: 1)
    let once = whole.angles(logMagnitude: log, frames: frames, next: nil)
    // Spans of 37 frames, each given the frame after it, as `StreamingDecoder` does.
    func frame(_ t: Int) -> [Float] { Array(log[(t * bins)..<((t + 1) * bins)]) }
    let pieces = PhaseGradientIntegrator(stft: Self.stft, channels: 1)
    var spanned = [Float](repeating: 0, count: once.count)
    for start in stride(from: 0, to: frames, by: 37) {
      let count = min(37, frames - start)
      let span = Array(log[(start * bins)..<((start + count) * bins)])
      let angles = pieces.angles(logMagnitude: span, frames: count, next: start + count < frames ? frame(start + count) : nil)
      spanned.replaceSubrange((start * bins)..<((start + count) * bins), with: angles)
    }
    #expect(spanned == once)
  }
}
