import Foundation

/// A parsed safetensors file: named tensors (on the CPU) and the free-form string metadata.
public struct SafetensorsFile {
  public var tensors: [String: Tensor]
  public var metadata: [String: String]

  public init(tensors: [String: Tensor], metadata: [String: String] = [:]) {
    self.tensors = tensors
    self.metadata = metadata
  }
}

/// A malformed, truncated or unsupported safetensors file, or one that could not be written. `source`
/// names the file.
public struct SafetensorsError: Error, CustomStringConvertible, Sendable {
  public let source: String
  /// The file could not be written (as opposed to read).
  public var writing = false
  public let reason: String

  public init(source: String, writing: Bool = false, reason: String) {
    self.source = source
    self.writing = writing
    self.reason = reason
  }

  public var description: String {
    writing ? "\(source): cannot be written: \(reason)" : "\(source): not a valid safetensors file: \(reason)"
  }
}

/// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian header
/// length N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {…}}`,
/// then one byte buffer that the entries tile exactly, with no gaps or overlaps.
/// Readers from Python (`safetensors.torch.load_file`, `safetensors.numpy.load_file`) read what this writes.
public enum Safetensors {
  /// The format's own limit on the header, which stops a hostile length from allocating gigabytes.
  public static let maxHeaderSize = 100_000_000

  static let dtypeNames: [(DType, String)] = [
    (.float64, "F64"), (.float32, "F32"), (.float16, "F16"), (.bfloat16, "BF16"),
    (.int64, "I64"), (.int32, "I32"), (.uint8, "U8"), (.bool, "BOOL"),
  ]

  // MARK: Reading

  public static func read(_ url: URL) throws -> SafetensorsFile {
    let data: Data
    do {
      data = try Data(contentsOf: url, options: .mappedIfSafe)
    } catch {
      throw SafetensorsError(source: url.path, reason: "cannot be read (\(error.localizedDescription))")
    }
    return try decode(data, source: url.path)
  }

  public static func decode(_ data: Data, source: String = "safetensors data") throws -> SafetensorsFile {
    func fail(_ reason: String) -> SafetensorsError { SafetensorsError(source: source, reason: reason) }

    guard data.count >= 8 else { throw fail("file is \(data.count) bytes, shorter than the 8-byte header length") }
    let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    guard headerLength <= UInt64(maxHeaderSize) else {
      throw fail("header length \(headerLength) exceeds the format's limit of \(maxHeaderSize) bytes")
    }
    let headerEnd = 8 + Int(headerLength)
    guard headerEnd <= data.count else {
      throw fail("header length \(headerLength) runs past the end of the \(data.count)-byte file (truncated?)")
    }
    let headerBytes = data.subdata(in: data.startIndex + 8 ..< data.startIndex + headerEnd)
    guard headerBytes.first == UInt8(ascii: "{") else { throw fail("header does not start with '{'") }
    guard String(data: headerBytes, encoding: .utf8) != nil else { throw fail("header is not UTF-8") }

    let header: Header
    do {
      header = try JSONDecoder().decode(Header.self, from: headerBytes)
    } catch let error as HeaderError {
      throw fail(error.reason)
    } catch {
      throw fail("header is not valid JSON of the expected form (\(error))")
    }

    let bufferStart = headerEnd
    let bufferLength = data.count - bufferStart
    var entries: [(name: String, dtype: DType, shape: [Int], begin: Int, end: Int)] = []
    for (name, info) in header.tensors {
      guard let dtype = dtypeNames.first(where: { $0.1 == info.dtype })?.0 else {
        throw fail("tensor '\(name)' has unsupported dtype '\(info.dtype)' (supported: "
          + dtypeNames.map(\.1).joined(separator: ", ") + ")")
      }
      guard info.dataOffsets.count == 2 else { throw fail("tensor '\(name)' needs data_offsets [begin, end]") }
      let (begin, end) = (info.dataOffsets[0], info.dataOffsets[1])
      guard begin >= 0, begin <= end else { throw fail("tensor '\(name)' has invalid offsets [\(begin), \(end)]") }
      guard end <= bufferLength else {
        throw fail("tensor '\(name)' ends at byte \(end) but the data holds \(bufferLength) bytes (truncated?)")
      }
      let count: Int
      do {
        count = try Tensor.checkedCount(info.shape, op: "safetensors")
      } catch {
        throw fail("tensor '\(name)' has invalid shape \(info.shape)")
      }
      let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
      guard !overflow else { throw fail("tensor '\(name)' of shape \(info.shape) is too large") }
      guard bytes == end - begin else {
        throw fail("tensor '\(name)' of shape \(info.shape) \(info.dtype) needs \(bytes) bytes "
          + "but its offsets span \(end - begin)")
      }
      entries.append((name, dtype, info.shape, begin, end))
    }

    // The entries must tile the buffer exactly: no overlap (aliasing) and no hidden bytes.
    entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
    var cursor = 0
    for entry in entries {
      guard entry.begin == cursor else {
        if entry.begin < cursor { throw fail("tensor '\(entry.name)' overlaps the previous tensor's data") }
        throw fail("bytes \(cursor)..<\(entry.begin) of the data belong to no tensor")
      }
      cursor = entry.end
    }
    guard cursor == bufferLength else {
      throw fail("the data has \(bufferLength - cursor) trailing bytes that belong to no tensor")
    }

    var tensors: [String: Tensor] = [:]
    try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
      for entry in entries {
        let slice = UnsafeRawBufferPointer(rebasing: raw[(bufferStart + entry.begin) ..< (bufferStart + entry.end)])
        tensors[entry.name] = try Tensor.fromBytes(slice, shape: entry.shape, dtype: entry.dtype)
      }
    }
    return SafetensorsFile(tensors: tensors, metadata: header.metadata)
  }

  // MARK: Writing

  /// The file's bytes: tensors in key order, header padded with spaces to an 8-byte boundary.
  public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> Data {
    var pieces: [String] = []
    if !metadata.isEmpty {
      let fields = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
      pieces.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
    }
    var payloads: [[UInt8]] = []
    var offset = 0
    for name in tensors.keys.sorted() {
      guard name != "__metadata__" else {
        throw SafetensorsError(source: "encode", reason: "'__metadata__' is reserved and cannot name a tensor")
      }
      let tensor = tensors[name]!
      guard let code = dtypeNames.first(where: { $0.0 == tensor.dtype })?.1 else {
        throw SafetensorsError(source: "encode", reason: "tensor '\(name)' has dtype \(tensor.dtype), which safetensors cannot store")
      }
      let bytes = try tensor.bytes()
      let shape = tensor.shape.map(String.init).joined(separator: ",")
      pieces.append("\(jsonString(name)):{\"dtype\":\"\(code)\",\"shape\":[\(shape)],"
        + "\"data_offsets\":[\(offset),\(offset + bytes.count)]}")
      offset += bytes.count
      payloads.append(bytes)
    }
    var header = Array("{\(pieces.joined(separator: ","))}".utf8)
    while (8 + header.count) % 8 != 0 { header.append(UInt8(ascii: " ")) }

    var data = Data(capacity: 8 + header.count + offset)
    var length = UInt64(header.count).littleEndian
    withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
    data.append(contentsOf: header)
    for payload in payloads { data.append(contentsOf: payload) }
    return data
  }

  /// Writes atomically: a temporary file in the same folder, then a rename, so a crash never leaves
  /// a half-written file under `url`.
  public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws {
    let data = try encode(tensors, metadata: metadata)
    do {
      try data.write(to: url, options: .atomic)
    } catch {
      throw SafetensorsError(source: url.path, writing: true,
                             reason: "\(error.localizedDescription) (is the disk full, or the folder read-only? nothing was replaced)")
    }
  }

  private static func jsonString(_ s: String) -> String {
    let encoded = try? JSONEncoder().encode(s)
    return encoded.flatMap { String(data: $0, encoding: .utf8) } ?? "\"\""
  }
}

// MARK: Header decoding

private struct HeaderError: Error {
  let reason: String
}

private struct TensorInfo: Decodable {
  let dtype: String
  let shape: [Int]
  let dataOffsets: [Int]

  enum CodingKeys: String, CodingKey {
    case dtype, shape
    case dataOffsets = "data_offsets"
  }
}

private struct Header: Decodable {
  var tensors: [String: TensorInfo] = [:]
  var metadata: [String: String] = [:]

  struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }

  init(from decoder: Decoder) throws {
    let container = try decoder.container(keyedBy: Key.self)
    for key in container.allKeys {
      if key.stringValue == "__metadata__" {
        guard let metadata = try? container.decode([String: String].self, forKey: key) else {
          throw HeaderError(reason: "'__metadata__' must map strings to strings")
        }
        self.metadata = metadata
      } else {
        guard let info = try? container.decode(TensorInfo.self, forKey: key) else {
          throw HeaderError(reason: "entry '\(key.stringValue)' is not {dtype, shape, data_offsets} "
            + "with a string dtype and integer shape and offsets")
        }
        tensors[key.stringValue] = info
      }
    }
  }
}
