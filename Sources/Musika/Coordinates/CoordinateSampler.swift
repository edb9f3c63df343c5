import Torch

/// The coordinate system that drives the generator (reference §5.1, §7), for streams of any length.
///
/// Anchors sit every `anchorSpacing` vectors (3 generator windows: 384, or 192 for the small model).
/// Each anchor has its own local vector; one global vector (the style) is shared by the whole stream.
/// Between anchors the local part is interpolated linearly; then neighbouring points are averaged
/// ("center_coordinate"). The stream starts `windowVectors/2` vectors in, as the original's
/// generation does, so its windows are centred at ⅓, ⅔ of the way between anchors or on an anchor —
/// the phases the generator was trained on.
///
/// Anchor k draws from `Generator(seed, "anchor", k)` and the global vector from
/// `Generator(seed, "global")`, so the coordinates of any span are computed on their own, bit for bit
/// equal to the same span of a longer run: streams are seekable and windows can be made in parallel.
public struct CoordinateSampler: Sendable {
  public let seed: UInt64
  /// Draws are standard normal, redrawn outside ±truncation (nil: no truncation, as in training).
  public let truncation: Double?
  /// The global (style) vector's draws are also bounded by this (nil: by `truncation` alone).
  public let styleTruncation: Double?
  public let coordinateChannels: Int
  public let anchorSpacing: Int
  public let offset: Int
  /// For a seamless loop: the coordinates repeat every `loopVectors` vectors, with
  /// `loopAnchors` anchors spread evenly around the loop.
  public let loopVectors: Int?

  public init(config: GANConfig, seed: UInt64, truncation: Double? = 2.0, styleTruncation: Double? = nil,
              loopVectors: Int? = nil) {
    self.seed = seed
    self.truncation = truncation
    self.styleTruncation = styleTruncation
    coordinateChannels = config.coordinateChannels
    anchorSpacing = 3 * config.windowVectors
    offset = config.windowVectors / 2
    self.loopVectors = loopVectors
  }

  /// Anchors around a loop: about one per `anchorSpacing` vectors, at least 2.
  var loopAnchors: Int? { loopVectors.map { max(2, Int((Double($0) / Double(anchorSpacing)).rounded())) } }

  /// The anchors on either side of uncentred point `point`, and how far along it is between them.
  private func segment(_ point: Int) -> (left: Int, right: Int, fraction: Double) {
    if let loopVectors, let anchors = loopAnchors {
      let x = Double(point % loopVectors) * Double(anchors) / Double(loopVectors)
      let left = Int(x.rounded(.down))
      return (left, (left + 1) % anchors, x - Double(left))
    }
    return (point / anchorSpacing, point / anchorSpacing + 1, Double(point % anchorSpacing) / Double(anchorSpacing))
  }

  var localChannels: Int { coordinateChannels / 2 }

  private func draw(_ count: Int, _ generator: Generator, bound: Double?) -> Tensor {
    if let bound {
      return Tensor.truncatedNormal([count], bound: bound, generator: generator, dtype: .float64)
    }
    return Tensor.randn([count], generator: generator, dtype: .float64)
  }

  /// The local vector of anchor k (localChannels), float64.
  public func anchor(_ k: Int) -> Tensor { draw(localChannels, Generator(seed: seed, "anchor", .int(k)), bound: truncation) }

  /// The stream's global (style) vector (coordinateChannels − localChannels), float64.
  public var global: Tensor {
    let bound = [truncation, styleTruncation].compactMap { $0 }.min()
    return draw(coordinateChannels - localChannels, Generator(seed: seed, "global"), bound: bound)
  }

  /// Coordinates of stream vectors start ..< start + count: (coordinateChannels, count), float32.
  public func coordinates(start: Int, count: Int) throws -> Tensor {
    guard start >= 0, count > 0 else {
      throw MusikaError.invalidInput("coordinates need start ≥ 0 and count > 0 (got \(start), \(count))")
    }
    // Uncentred points q … q + count (one extra, for the centring average).
    let segments = (start + offset...(start + offset + count)).map(segment)
    let used = Array(Set(segments.flatMap { [$0.left, $0.right] })).sorted()
    let position = Dictionary(uniqueKeysWithValues: used.enumerated().map { ($1, Int64($0)) })
    let anchors = Tensor.stack(used.map(anchor), dim: 0)  // (A, local)
    let fraction = Tensor(segments.map(\.fraction)).unsqueeze(1)
    let a = anchors.indexSelect(dim: 0, index: Tensor(segments.map { position[$0.left]! }))
    let b = anchors.indexSelect(dim: 0, index: Tensor(segments.map { position[$0.right]! }))
    let local = a + (b - a) * fraction  // (count + 1, local)
    let centred = (local.narrow(dim: 0, start: 0, length: count) + local.narrow(dim: 0, start: 1, length: count)) * 0.5
    let style = global.unsqueeze(0).expand([count, coordinateChannels - localChannels])
    return Tensor.cat([centred, style], dim: 1).transposed(0, 1).contiguous().to(dtype: .float32)
  }
}
