import Foundation

/// Which BLAS libtorch's matrix products run on. Debian's libtorch links the generic libblas.so.3,
/// which is the slow reference BLAS unless an optimised one (libopenblas0-openmp) is installed.
public struct BLASLibrary: Sendable {
  public enum Kind: String, Sendable { case openBLAS = "OpenBLAS", mkl = "MKL", blis = "BLIS", reference = "reference BLAS", unknown }

  public let kind: Kind
  public let path: String?

  /// Reads the libraries mapped into this process.
  public static func detect() -> BLASLibrary {
    // /proc files report a size of 0, so read to the end rather than by size.
    guard let handle = FileHandle(forReadingAtPath: "/proc/self/maps"),
          let bytes = try? handle.readToEnd(), let maps = String(data: bytes, encoding: .utf8) else {
      return BLASLibrary(kind: .unknown, path: nil)
    }
    let paths = Set(maps.split(separator: "\n").compactMap { line -> String? in
      guard let slash = line.firstIndex(of: "/") else { return nil }
      return String(line[slash...])
    })
    func find(_ needle: String) -> String? { paths.sorted().first { $0.contains(needle) } }
    if let p = find("openblas") { return BLASLibrary(kind: .openBLAS, path: p) }
    if let p = find("libmkl") { return BLASLibrary(kind: .mkl, path: p) }
    if let p = find("blis") { return BLASLibrary(kind: .blis, path: p) }
    if let p = find("/blas/libblas.so") { return BLASLibrary(kind: .reference, path: p) }
    if let p = find("libblas.so") { return BLASLibrary(kind: .unknown, path: p) }
    return BLASLibrary(kind: .unknown, path: nil)
  }

  public var description: String {
    path.map { "\(kind.rawValue) (\($0))" } ?? kind.rawValue
  }
}
