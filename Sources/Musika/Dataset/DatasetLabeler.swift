import Audio
import Foundation
import Torch

/// Writes tempo and note-density labels into an encoded dataset's manifest (`musika label`), from
/// the source audio: `labels["tempo"]` (BPM, one per file), `labelSeries["density"]` (onsets per
/// second around each latent vector, one per vector) and, where a tempo was found,
/// `labelSeries["beats"]` (beats elapsed at the start of each vector, from `BeatTracker` at that
/// tempo). GAN training reads them for `--condition` and `--critic-beat`.
///
/// The manifest is saved after every file, so an interrupted run keeps what it did and, run again,
/// continues with the files still unlabelled.
public struct DatasetLabeler {
  public enum Event: Sendable {
    case labelled(source: String, tempo: Double?, meanDensity: Double)
    case skipped(source: String)
    case failed(source: String, reason: String)
  }

  /// Analysis rate: onsets and tempo need no more than 22.05 kHz.
  public static let analysisRate = 22_050
  /// Density counts onsets within ± this many seconds of each vector's centre.
  public var densityHalfWindow = 1.0
  public var detector = OnsetDetector(sampleRate: analysisRate)
  public var estimator = TempoEstimator()
  public var beatTracker = BeatTracker()

  public init() {}

  /// Labels of one recording: (channels, samples) at `analysisRate` → tempo (nil when no pulse is
  /// found), density at `vectors` points spaced `vectorSeconds` apart, and the beats elapsed at the
  /// start of each vector (nil without a tempo). `knownTempo`: the tempo already labelled, kept
  /// instead of a new estimate (the beats follow it).
  public func labels(_ audio: Tensor, vectors: Int, vectorSeconds: Double,
                     knownTempo: Double? = nil) throws -> (tempo: Double?, density: [Double], beats: [Double]?) {
    let strength = try detector.strength(audio)
    let (estimate, onsets) = analyze(strength: strength)
    let tempo = knownTempo ?? estimate
    let density = OnsetDetector.density(onsets: onsets, count: vectors, step: vectorSeconds, halfWindow: densityHalfWindow)
    let beats = tempo.map { bpm in
      BeatTracker.beatsElapsed(beatTimes: beatTracker.beats(envelope: strength, framesPerSecond: detector.framesPerSecond, bpm: bpm),
                               at: (0..<vectors).map { Double($0) * vectorSeconds }, bpm: bpm)
    }
    return (tempo, density, beats)
  }

  /// Tempo (nil when no steady pulse is found) and onset times in seconds of (channels, samples) at
  /// `analysisRate`.
  public func analyze(_ audio: Tensor) throws -> (tempo: Double?, onsets: [Double]) {
    analyze(strength: try detector.strength(audio))
  }

  /// The same from an onset-strength envelope of `detector` (for callers that read it otherwise too).
  public func analyze(strength: [Float]) -> (tempo: Double?, onsets: [Double]) {
    (estimator.tempo(envelope: strength, framesPerSecond: detector.framesPerSecond), detector.onsets(strength: strength))
  }

  /// Labels every entry of the dataset at `dataset` whose audio is under `audio` (default: the folder
  /// the manifest says was encoded). Entries that already carry both labels are skipped unless
  /// `overwrite` (a file with a tempo but no beat series, labelled by an earlier release, gets its
  /// beats at the tempo it has). Returns the updated manifest.
  @discardableResult
  public func label(dataset: URL, audio: URL? = nil, overwrite: Bool = false,
                    progress: (Int, Int, Event) -> Void = { _, _, _ in }) throws -> DatasetManifest {
    guard var manifest = try DatasetManifest.load(from: dataset) else {
      throw MusikaError.invalidInput("\(dataset.path) has no \(DatasetManifest.fileName); make it with "
        + "`musika encode AUDIO_DIR \(dataset.path) --codec CODEC`")
    }
    guard let folder = audio ?? manifest.audioFolder.map({ URL(fileURLWithPath: $0) }) else {
      throw MusikaError.invalidInput("\(dataset.path)/\(DatasetManifest.fileName) does not say which folder was "
        + "encoded; pass --audio AUDIO_DIR")
    }
    let total = manifest.entries.count
    for index in manifest.entries.indices {
      let entry = manifest.entries[index]
      if !overwrite, entry.labels[Conditioning.tempoLabel] != nil, entry.labelSeries?[Conditioning.densityLabel] != nil,
         entry.labelSeries?[Conditioning.beatsLabel] != nil {
        progress(index + 1, total, .skipped(source: entry.displayName))
        continue
      }
      do {
        // Read at analysisRate / speed so the audio analysed plays at the speed it was encoded at.
        let decoded = try AudioFile.read(folder.appendingPathComponent(entry.source),
                                         sampleRate: DatasetEncoder.readRate(Self.analysisRate, speed: entry.playbackSpeed))
        let samplesPerVector = manifest.samplesPerVector
          ?? Int((entry.duration * Double(manifest.sampleRate) / Double(max(entry.vectors, 1))).rounded())
        let (tempo, density, beats) = try labels(decoded.samples, vectors: entry.vectors,
                                                 vectorSeconds: Double(samplesPerVector) / Double(manifest.sampleRate),
                                                 knownTempo: overwrite ? nil : entry.labels[Conditioning.tempoLabel])
        manifest.entries[index].labels[Conditioning.tempoLabel] = tempo
        var series = (entry.labelSeries ?? [:]).merging([Conditioning.densityLabel: density]) { $1 }
        series[Conditioning.beatsLabel] = beats
        manifest.entries[index].labelSeries = series
        let mean = density.reduce(0, +) / Double(max(density.count, 1))
        progress(index + 1, total, .labelled(source: entry.displayName, tempo: tempo, meanDensity: mean))
      } catch {
        progress(index + 1, total, .failed(source: entry.displayName, reason: "\(error)"))
        continue
      }
      try manifest.save(to: dataset)
    }
    return manifest
  }
}
