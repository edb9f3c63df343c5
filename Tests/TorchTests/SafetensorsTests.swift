import Foundation
import Testing

@testable import Torch

@Suite("safetensors reading, writing and validation")
struct SafetensorsTests {
  @Test func roundTripEveryDType() throws {
    let g = Generator(seed: 1)
    let base = Tensor.randn([3, 4], generator: g)
    let tensors: [String: Tensor] = [
      "f32": base,
      "f64": base.to(dtype: .float64),
      "f16": base.to(dtype: .float16),
      "bf16": base.to(dtype: .bfloat16),
      "i64": Tensor([1, -2, Int64.max] as [Int64]),
      "i32": Tensor([7, -7] as [Int32]),
      "u8": Tensor([0, 255] as [UInt8]),
      "bool": Tensor([true, false, true]),
      "scalar": Tensor(4.5),
      "empty": Tensor.zeros([0, 3]),
      "layers.0.weight": Tensor.ones([2, 2, 2]),
    ]
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rt-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try Safetensors.write(tensors, metadata: ["format": "pt", "note": "ünïcode \"quoted\""], to: url)
    let file = try Safetensors.read(url)
    #expect(file.metadata == ["format": "pt", "note": "ünïcode \"quoted\""])
    #expect(Set(file.tensors.keys) == Set(tensors.keys))
    for (name, original) in tensors {
      let loaded = file.tensors[name]!
      #expect(loaded.dtype == original.dtype, "\(name)")
      #expect(loaded.shape == original.shape, "\(name)")
      #expect(try loaded.bytes() == original.bytes(), "\(name)")
    }
    // The header is padded so the data starts on an 8-byte boundary.
    let data = try Data(contentsOf: url)
    let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    #expect((8 + headerLength) % 8 == 0)
  }

  @Test func readsAFileWrittenByPythonSafetensors() throws {
    let url = try #require(Bundle.module.url(forResource: "python_written", withExtension: "safetensors",
                                             subdirectory: "Fixtures"))
    let file = try Safetensors.read(url)
    #expect(file.metadata["made_by"] == "make_python_fixture.py")
    let weight = file.tensors["decoder.up.0.weight"]!
    #expect(weight.dtype == .float32 && weight.shape == [2, 3])
    #expect(weight.toArray(of: Float.self) == [0, 0.25, 0.5, 0.75, 1, 1.25])
    #expect(file.tensors["half"]!.dtype == .float16)
    #expect(file.tensors["half"]!.toArray(of: Float.self) == [1.5, -2, 65504])
    #expect(file.tensors["steps"]!.toArray(of: Int64.self) == [7, -3, 1 << 40, 0])
    #expect(file.tensors["scalar"]!.shape == [] && file.tensors["scalar"]!.item() == 3.25)
    #expect(file.tensors["flags"]!.toArray(of: Bool.self) == [true, false, true])
  }

  /// Builds a file from a header string and a data buffer.
  private func file(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
    var out = Data()
    var length = (declaredLength ?? UInt64(header.utf8.count)).littleEndian
    withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
    out.append(contentsOf: Array(header.utf8))
    out.append(contentsOf: data)
    return out
  }

  private func rejects(_ data: Data, mentioning words: String) {
    do {
      _ = try Safetensors.decode(data, source: "bad.safetensors")
      Issue.record("accepted a bad file (expected an error mentioning '\(words)')")
    } catch let error as SafetensorsError {
      #expect(error.description.contains("bad.safetensors"))
      #expect(error.description.contains(words), "\(error)")
    } catch {
      Issue.record("unexpected error type \(error)")
    }
  }

  @Test func rejectsMalformedAndMaliciousFiles() {
    let good = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
    #expect(throws: Never.self) { try Safetensors.decode(file(header: good, data: [UInt8](repeating: 0, count: 8))) }

    rejects(Data([1, 2, 3]), mentioning: "shorter than the 8-byte header")
    rejects(file(header: good, declaredLength: 1 << 60), mentioning: "exceeds the format's limit")
    rejects(file(header: good, declaredLength: 5000), mentioning: "runs past the end")
    rejects(file(header: good, data: [0, 0, 0]), mentioning: "truncated")
    rejects(file(header: "[1, 2]"), mentioning: "does not start with '{'")
    rejects(file(header: "{not json"), mentioning: "not valid JSON")
    rejects(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 12)),
            mentioning: "trailing bytes")
    rejects(file(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)),
            mentioning: "needs 12 bytes")
    rejects(file(header: #"{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)),
            mentioning: "unsupported dtype 'Q4'")
    rejects(file(header: #"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)),
            mentioning: "invalid shape")
    rejects(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, data: [UInt8](repeating: 0, count: 8)),
            mentioning: "invalid offsets")
    rejects(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                 data: [UInt8](repeating: 0, count: 12)),
            mentioning: "overlaps")
    rejects(file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: [UInt8](repeating: 0, count: 8)),
            mentioning: "belong to no tensor")
    rejects(file(header: #"{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)),
            mentioning: "not {dtype, shape, data_offsets}")
    rejects(file(header: #"{"__metadata__":{"k":1}}"#), mentioning: "must map strings to strings")
    // A shape whose element count overflows must not wrap around to a small size.
    rejects(file(header: #"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#,
                 data: [UInt8](repeating: 0, count: 8)),
            mentioning: "invalid shape")
  }

  @Test func missingFileNamesThePath() {
    let url = URL(fileURLWithPath: "/nonexistent/model.safetensors")
    #expect { try Safetensors.read(url) } throws: { error in
      "\(error)".contains("/nonexistent/model.safetensors")
    }
  }
}
