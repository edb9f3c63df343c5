import Foundation
import Torch

/// Encoded music held in memory for GAN training: each item's latents (latentChannels, vectors) and
/// its labels, from which random crops are cut.
public final class LatentCorpus {
  public struct Item {
    public let name: String
    /// (latentChannels, vectors), float32.
    public let latents: Tensor
    /// Tempo in BPM, when labelled.
    public let tempo: Double?
    /// Note density per vector (onsets per second), when labelled.
    public let density: [Double]?
    /// Beats elapsed at the start of each vector (`BeatTracker`), when labelled.
    public let beats: [Double]?

    public init(name: String, latents: Tensor, tempo: Double? = nil, density: [Double]? = nil, beats: [Double]? = nil) {
      self.name = name
      self.latents = latents
      self.tempo = tempo
      self.density = density
      self.beats = beats
    }

    public var vectors: Int { latents.size(1) }
  }

  /// A training batch: latents (batch, latentChannels, length) and condition channels
  /// (batch, conditionChannels, length), standardised; with `beatPhase`, the beat phase of each crop
  /// (batch, 2, length): sine and cosine of its tracked beats (`TempoClock.beatChannels`).
  public struct Batch {
    public var latents: Tensor
    public let conditions: Tensor
    public var beatPhase: Tensor? = nil

    /// The batch on `device` (the same tensors where it already lives there).
    public func to(device: Device) -> Batch {
      Batch(latents: latents.to(device: device), conditions: conditions.to(device: device),
            beatPhase: beatPhase?.to(device: device))
    }
  }

  public let items: [Item]
  public let latentChannels: Int
  /// The codec folder the latents were made with (from the dataset manifest), if recorded.
  public let codecFolder: URL?

  public init(items: [Item], codecFolder: URL? = nil) throws {
    guard let first = items.first else { throw MusikaError.invalidInput("no latent files to train on") }
    latentChannels = first.latents.size(0)
    for item in items where item.latents.rank != 2 || item.latents.size(0) != latentChannels {
      throw MusikaError.invalidInput("\(item.name): latents of shape \(item.latents.shape), expected (\(latentChannels), vectors)")
    }
    self.items = items
    self.codecFolder = codecFolder
  }

  /// Loads a folder written by `musika encode`: every manifest entry with at least `minimumVectors`
  /// vectors; shorter ones are reported and skipped.
  public convenience init(folder: URL, minimumVectors: Int, log: (String) -> Void = { _ in }) throws {
    guard let manifest = try DatasetManifest.load(from: folder) else {
      throw MusikaError.invalidInput("\(folder.path) has no \(DatasetManifest.fileName); make it with "
        + "`musika encode AUDIO_DIR \(folder.path) --codec CODEC`")
    }
    var items: [Item] = []
    var codecFolder: URL?
    for entry in manifest.entries {
      guard entry.vectors >= minimumVectors else {
        log(String(format: "skipping %@: %d vectors, shorter than one training crop (%d)",
                   entry.displayName, entry.vectors, minimumVectors))
        continue
      }
      let (latents, metadata) = try DatasetEncoder.readLatents(folder.appendingPathComponent(entry.latents))
      if codecFolder == nil, let path = metadata["codec_folder"] { codecFolder = URL(fileURLWithPath: path) }
      let density = entry.labelSeries?[Conditioning.densityLabel]
      if let density, density.count != latents.size(1) {
        throw MusikaError.invalidInput("\(entry.latents): \(density.count) density labels for \(latents.size(1)) vectors; "
          + "run `musika label` again")
      }
      let beats = entry.labelSeries?[Conditioning.beatsLabel]
      if let beats, beats.count != latents.size(1) {
        throw MusikaError.invalidInput("\(entry.latents): \(beats.count) beat labels for \(latents.size(1)) vectors; "
          + "run `musika label` again")
      }
      items.append(Item(name: entry.displayName, latents: latents, tempo: entry.labels[Conditioning.tempoLabel],
                        density: density, beats: beats))
    }
    guard !items.isEmpty else {
      let seconds = Double(minimumVectors * (manifest.samplesPerVector ?? 4096)) / Double(manifest.sampleRate)
      throw MusikaError.invalidInput("\(folder.path) holds no latent file of at least \(minimumVectors) vectors "
        + String(format: "(%.1f s); encode longer music", seconds))
    }
    try self.init(items: items, codecFolder: codecFolder)
  }

  public var totalVectors: Int { items.reduce(0) { $0 + $1.vectors } }

  /// The root mean square of every latent number in the corpus (a new run's `GANConfig.latentScale`).
  public var latentRMS: Double {
    let sumOfSquares = items.reduce(0.0) { $0 + $1.latents.to(dtype: .float64).square().sum().item() }
    return (sumOfSquares / Double(totalVectors * latentChannels)).squareRoot()
  }

  /// Condition statistics over the corpus for the labels a model asks for; an item without a
  /// requested label is an error that names it.
  /// `cropVectors`: density statistics of the crops' means (every crop of that length, at a stride
  /// of a sixteenth of it), for runs that train on them (`GANTrainingOptions.conditionsPerCrop`), so
  /// that the range a model card and `musika generate` offer is the range it saw.
  public func conditioning(tempo: Bool, density: Bool, cropVectors: Int? = nil) throws -> Conditioning {
    func missing(_ label: String) -> MusikaError {
      let names = items.filter { label == Conditioning.tempoLabel ? $0.tempo == nil : $0.density == nil }.prefix(3).map(\.name)
      return .invalidInput("no '\(label)' label for \(names.joined(separator: ", "))…; run `musika label` on the encoded folder "
        + "or train without that condition")
    }
    var result = Conditioning.none
    if tempo {
      let values = items.compactMap(\.tempo)
      guard values.count == items.count else { throw missing(Conditioning.tempoLabel) }
      result.tempo = Conditioning.Scale(values: values)
    }
    if density {
      guard items.allSatisfy({ $0.density != nil }) else { throw missing(Conditioning.densityLabel) }
      if let length = cropVectors {
        let means = items.map { $0.density! }.flatMap { series -> [Double] in
          guard series.count >= length else { return [] }
          return stride(from: 0, through: series.count - length, by: max(1, length / 16)).map {
            Self.meanDensity(series, start: $0, length: length)
          }
        }
        guard !means.isEmpty else {
          throw MusikaError.invalidInput("no file holds a crop of \(length) vectors to take density statistics from")
        }
        result.density = Conditioning.Scale(values: means)
      } else {
        result.density = Conditioning.Scale(values: items.flatMap { $0.density! })
      }
    }
    return result
  }

  /// `count` random crops of `length` vectors. Each sample draws its own file (weighted by how many
  /// crops it holds), offset and left/right swap — the original decides the swap once per batch.
  /// `perCrop`: each crop's density series replaced by its mean, held along the crop
  /// (`GANTrainingOptions.conditionsPerCrop`). `beatPhase`: the batch carries each crop's beat
  /// phase; an item without beat labels is an error that names it.
  public func batch(count: Int, length: Int, conditioning: Conditioning, perCrop: Bool = false,
                    beatPhase: Bool = false, generator: Generator) throws -> Batch {
    let weights = items.map { Double(max($0.vectors - length + 1, 0)) }
    let total = weights.reduce(0, +)
    precondition(total > 0, "LatentCorpus: no item holds \(length) vectors")
    let draws = Tensor.uniform([count, 3], generator: generator, dtype: .float64).toArray(of: Double.self)
    var latents: [Tensor] = []
    var conditions: [Tensor] = []
    var beatRows: [Double] = []  // (count · length), turned into phase channels in one op below
    let half = latentChannels / 2
    for i in 0..<count {
      var target = draws[3 * i] * total
      var index = 0
      while index < items.count - 1 && target >= weights[index] { target -= weights[index]; index += 1 }
      let item = items[index]
      let room = item.vectors - length
      let start = min(Int(draws[3 * i + 1] * Double(room + 1)), room)
      var crop = item.latents.narrow(dim: 1, start: start, length: length)
      if draws[3 * i + 2] < 0.5 {
        let parts = crop.split(sizes: [half, latentChannels - half], dim: 0)
        crop = Tensor.cat([parts[1], parts[0]], dim: 0)
      }
      latents.append(crop)
      let density = item.density.map { series in
        perCrop ? Array(repeating: Self.meanDensity(series, start: start, length: length), count: length)
          : Array(series[start..<(start + length)])
      }
      conditions.append(try conditioning.channels(tempo: item.tempo, density: density, count: length))
      if beatPhase {
        guard let beats = item.beats else {
          throw MusikaError.invalidInput("no '\(Conditioning.beatsLabel)' label for \(item.name); run `musika label` on the "
            + "encoded folder (it tracks the beats of files with a tempo) or train without --critic-beat")
        }
        beatRows += beats[start..<(start + length)]
      }
    }
    return Batch(latents: Tensor.stack(latents, dim: 0), conditions: Tensor.stack(conditions, dim: 0),
                 beatPhase: beatPhase ? TempoClock.beatChannels(beats: Tensor(beatRows, shape: [count, length])) : nil)
  }

  /// The mean of a density series over the crop start ..< start + length: a crop's label when
  /// labels are held per crop.
  private static func meanDensity(_ series: [Double], start: Int, length: Int) -> Double {
    series[start..<(start + length)].reduce(0, +) / Double(length)
  }
}
