import CTorch

/// A seedable random-number generator object. All randomness in this project is drawn from one of
/// these, never from a hidden global state, so a seed reproduces results bit for bit.
public final class Generator: @unchecked Sendable {
  let handle: ct_generator
  public let seed: UInt64

  public init(seed: UInt64) {
    var out: ct_generator?
    must { try check("generator_new", ct_generator_new(&out, seed)) }
    handle = out!
    self.seed = seed
  }

  /// A generator seeded from `seed` and a path of labels/positions, e.g. `(seed, "decoder.g0", window)`.
  public convenience init(seed: UInt64, _ path: SeedComponent...) {
    self.init(seed: Seed.derive(seed, path))
  }

  private init(handle: ct_generator, seed: UInt64) {
    self.handle = handle
    self.seed = seed
  }

  deinit {
    ct_generator_free(handle)
  }

  /// An independent copy in the same state.
  public func clone() -> Generator {
    var out: ct_generator?
    must { try check("generator_clone", ct_generator_clone(&out, handle)) }
    return Generator(handle: out!, seed: seed)
  }

  /// The full state as a uint8 tensor; store it in a checkpoint and restore it for an exact resume.
  public func state() -> Tensor {
    must { try Tensor.make("generator_get_state") { ct_generator_get_state($0, handle) } }
  }

  public func setState(_ state: Tensor) throws {
    try check("generator_set_state", ct_generator_set_state(handle, state.handle))
  }
}

/// Something that can be mixed into a derived seed.
public enum SeedComponent: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
  case label(String)
  case number(UInt64)

  public init(stringLiteral value: String) { self = .label(value) }
  public init(integerLiteral value: Int) { self = .number(UInt64(bitPattern: Int64(value))) }
  public static func int(_ value: Int) -> SeedComponent { .number(UInt64(bitPattern: Int64(value))) }
}

/// Seed derivation: stable across runs, platforms and Swift versions (no `Hasher`, which is randomised).
public enum Seed {
  /// SplitMix64's finaliser: a bijective 64-bit mix.
  public static func mix(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// FNV-1a over UTF-8 bytes.
  public static func hash(_ label: String) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in label.utf8 {
      h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }
    return h
  }

  /// A seed for the stream of randomness named by `path` under `seed`.
  public static func derive(_ seed: UInt64, _ path: [SeedComponent]) -> UInt64 {
    var state = mix(seed)
    for component in path {
      let value: UInt64
      switch component {
      case .label(let text): value = hash(text)
      case .number(let n): value = n
      }
      state = mix(state ^ mix(value &+ 0x632B_E59B_D9B4_E019))
    }
    return state
  }
}
