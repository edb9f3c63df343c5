import Audio
import Foundation
import Torch

/// `musika codec calibrate`: how many dB a codec's decoding loses in each band of music, and the output
/// equalisation (`CodecConfig.equalizationDb`, dB per STFT bin) that gives it back.
///
/// Decoding goes through both levels with the codec's own phase source, as generation decodes. Per mel
/// band (those of `codec eval`'s log-mel distance) the loss is the ratio of input to decoded energy,
/// summed over the frames where the input band is not silent: the band's level as heard, which loud
/// passages dominate. (The median over frames of the log-mel difference, the shift that minimises
/// the log-mel distance, was tried: it lifts the quiet bins a codec returns too quiet and overshoots
/// the loud ones; held-out piano renders came back 1.5–2.4 dB too loud by RMS where they had been
/// within 1.1 dB.) Bands are interpolated to STFT bins on the mel scale. The equalisation is found in
/// passes: each decodes with what the earlier ones found and adds what is still missing.
public struct LevelCalibration {
  public let codec: SpectralCodec
  /// At most this many seconds of each file (from its middle) are decoded.
  public let maxSeconds: Double
  /// Input band power (log10, as `MelFilterbank.logMel`) at or below which a frame counts as silent:
  /// 5 dB above that measure's floor.
  static let silentLogPower = -4.5

  public init(codec: SpectralCodec, maxSeconds: Double = 20) {
    self.codec = codec
    self.maxSeconds = maxSeconds
  }

  /// The loss per mel band in dB (input over decoded energy, over the files' audible frames; positive:
  /// the codec returns that band too quiet), with the codec's current equalisation applied.
  public func measureBandLoss(files: [URL], progress: (String) -> Void = { _ in }) throws -> [Double] {
    let rate = codec.config.sampleRate
    let mel = MelFilterbank(sampleRate: rate)
    var inputEnergy = Tensor.zeros([mel.bands], dtype: .float64), decodedEnergy = inputEnergy
    var skipped: [String] = []
    for file in files {
      let excerpt = try CodecEvaluator.middleExcerpt(of: file, seconds: maxSeconds, sampleRate: rate)
      guard excerpt.size(1) >= codec.samplesPerVector * 2 else {
        progress("\(file.lastPathComponent): skipped: shorter than two latent vectors")
        skipped.append(file.lastPathComponent)
        continue
      }
      try withNoGrad {
        let decoded = try codec.decode(try codec.encode(excerpt), seed: 0)
        // log10 mel power (channels, bands, frames); energy summed per band over the audible frames
        let input = mel.logMel(excerpt.narrow(dim: 1, start: 0, length: decoded.size(1))).to(dtype: .float64)
        let audible = input.gt(Self.silentLogPower).to(dtype: .float64)
        func energy(_ logPower: Tensor) -> Tensor { ((logPower * Foundation.log(10.0)).exp() * audible).sum(dims: [0, 2]) }
        inputEnergy = inputEnergy + energy(input)
        decodedEnergy = decodedEnergy + energy(mel.logMel(decoded).to(dtype: .float64))
      }
      progress(file.lastPathComponent)
    }
    let (inputs, decodeds) = (inputEnergy.toArray(of: Double.self), decodedEnergy.toArray(of: Double.self))
    guard inputs.contains(where: { $0 > 0 }) else {
      throw MusikaError.invalidInput(skipped.count == files.count
        ? "every file was too short to calibrate on (\(skipped.prefix(3).joined(separator: ", "))…): give music of a few seconds or more"
        : "no audible music to calibrate on in the given files")
    }
    return zip(inputs, decodeds).map { input, decoded in
      input > 0 && decoded > 0 ? 10 * Foundation.log10(input / decoded) : 0
    }
  }

  /// Band values (dB, one per mel band of `MelFilterbank(sampleRate:)`) → one per STFT bin of the codec,
  /// linear on the mel scale between band centres, constant beyond the first and last.
  public func perBin(_ bandValues: [Double]) -> [Double] {
    let mel = MelFilterbank(sampleRate: codec.config.sampleRate)
    let centres = mel.centerFrequencies.map(MelFilterbank.hzToMel)
    precondition(bandValues.count == centres.count)
    return (0..<codec.config.bins).map { k in
      let m = MelFilterbank.hzToMel(Double(k) * Double(codec.config.sampleRate) / Double(codec.config.nFFT))
      guard m > centres[0] else { return bandValues[0] }
      guard let upper = centres.firstIndex(where: { $0 >= m }) else { return bandValues[bandValues.count - 1] }
      let t = (m - centres[upper - 1]) / (centres[upper] - centres[upper - 1])
      return bandValues[upper - 1] * (1 - t) + bandValues[upper] * t
    }
  }

  /// Measures and sets the codec's equalisation in `passes` passes (starting from none); returns the
  /// band loss measured before each pass and after the last (`passes + 1` rows).
  @discardableResult
  public func calibrate(files: [URL], passes: Int = 2, limitDb: Double = 18,
                        progress: (String) -> Void = { _ in }) throws -> [[Double]] {
    try codec.setEqualization(nil)
    var equalization = [Double](repeating: 0, count: codec.config.bins)
    var losses: [[Double]] = []
    for pass in 0...passes {
      let loss = try measureBandLoss(files: files) { progress("pass \(pass + 1) of \(passes + 1): \($0)") }
      losses.append(loss)
      guard pass < passes else { break }
      equalization = zip(equalization, perBin(loss)).map { min(max($0 + $1, -limitDb), limitDb) }
      // Hundredths of a dB: the config stays readable, and nothing audible is lost.
      try codec.setEqualization(equalization.map { ($0 * 100).rounded() / 100 })
    }
    return losses
  }
}
