import CZlib
import Foundation
import Torch

/// Spectrogram pictures for training previews and the studio, as 8-bit grayscale PNG (low
/// frequencies at the bottom, loud = bright), compressed with zlib (each row filtered by its left
/// neighbour, PNG's "sub" filter, which suits smooth spectra).
public enum SpectrogramImage {
  /// Stacks normalised log-magnitudes (bins, frames) in [−1, 1], top to bottom, with a dark line
  /// between them, and writes the PNG atomically.
  public static func write(_ spectrograms: [Tensor], to url: URL) throws {
    try png(spectrograms).write(to: url, options: .atomic)
  }

  /// The PNG bytes of `write`'s picture.
  public static func png(_ spectrograms: [Tensor]) -> Data {
    let rows = spectrograms.map { spectrogram -> [[UInt8]] in
      let bins = spectrogram.size(0)
      let frames = spectrogram.size(1)
      let values = ((spectrogram.clamp(min: -1, max: 1) + 1) * 127.5).toArray(of: Float.self)
      return (0..<bins).reversed().map { bin in (0..<frames).map { UInt8(values[bin * frames + $0]) } }
    }
    let width = rows.map { $0.first?.count ?? 0 }.max() ?? 0
    var pixels: [[UInt8]] = []
    for (i, image) in rows.enumerated() {
      if i > 0 { pixels.append([UInt8](repeating: 0, count: width)) }
      pixels += image.map { $0 + [UInt8](repeating: 0, count: width - $0.count) }
    }
    return png(width: width, rows: pixels)
  }

  static func png(width: Int, rows: [[UInt8]]) -> Data {
    var raw = [UInt8]()
    raw.reserveCapacity(rows.count * (width + 1))
    for row in rows {
      raw.append(1)  // filter: sub (each byte minus its left neighbour)
      var left: UInt8 = 0
      for value in row {
        raw.append(value &- left)
        left = value
      }
    }
    var data = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    var header = [UInt8]()
    header += bigEndian(UInt32(width)) + bigEndian(UInt32(rows.count))
    header += [8, 0, 0, 0, 0]  // 8-bit grayscale, deflate, no filter method, no interlace
    chunk("IHDR", header, into: &data)
    chunk("IDAT", deflate(raw), into: &data)
    chunk("IEND", [], into: &data)
    return data
  }

  /// A zlib stream of `bytes` (level 6).
  private static func deflate(_ bytes: [UInt8]) -> [UInt8] {
    var length = compressBound(uLong(bytes.count))
    var out = [UInt8](repeating: 0, count: Int(length))
    let status = compress2(&out, &length, bytes, uLong(bytes.count), 6)
    precondition(status == Z_OK, "zlib compress2 failed (\(status)) with a buffer of compressBound's size")
    return Array(out.prefix(Int(length)))
  }

  private static func chunk(_ type: String, _ body: [UInt8], into data: inout Data) {
    let typed = Array(type.utf8) + body
    data.append(contentsOf: bigEndian(UInt32(body.count)))
    data.append(contentsOf: typed)
    data.append(contentsOf: bigEndian(crc32(typed)))
  }

  private static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
  }

  static func crc32(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for byte in bytes { c = crcTable[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
  }

  private static func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
  }
}
