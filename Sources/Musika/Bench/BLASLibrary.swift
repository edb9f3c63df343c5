import Foundation
import Torch

/// Which BLAS libtorch's matrix products run on. Debian's libtorch links the generic libblas.so.3,
/// which is the slow reference BLAS unless an optimised one (libopenblas0-openmp) is installed.
public struct BLASLibrary: Sendable {
  public enum Kind: String, Sendable { case openBLAS = "OpenBLAS", mkl = "MKL", blis = "BLIS", reference = "reference BLAS", unknown }

  public let kind: Kind
  public let path: String?

  /// Reads the libraries mapped into this process, then libtorch's build settings (PyTorch wheels
  /// link MKL statically, so no library file shows it).
  public static func detect(buildConfiguration: String = TorchRuntime.buildConfiguration) -> BLASLibrary {
    let mapped = detectMapped()
    guard mapped.kind == .unknown else { return mapped }
    if let range = buildConfiguration.range(of: "BLAS_INFO=") {
      let value = buildConfiguration[range.upperBound...].prefix { $0.isLetter || $0.isNumber }.lowercased()
      switch value {
      case "mkl": return BLASLibrary(kind: .mkl, path: "built into libtorch")
      case "open", "openblas": return BLASLibrary(kind: .openBLAS, path: "built into libtorch")
      case "blis": return BLASLibrary(kind: .blis, path: "built into libtorch")
      default: break
      }
    }
    return mapped
  }

  private static func detectMapped() -> BLASLibrary {
    // /proc files report a size of 0, so read to the end rather than by size.
    guard let handle = FileHandle(forReadingAtPath: "/proc/self/maps"),
          let bytes = try? handle.readToEnd(), let maps = String(data: bytes, encoding: .utf8) else {
      return BLASLibrary(kind: .unknown, path: nil)
    }
    let paths = Set(maps.split(separator: "\n").compactMap { line -> String? in
      guard let slash = line.firstIndex(of: "/") else { return nil }
      return String(line[slash...])
    })
    // libtorch calls sgemm through libblas.so.3, so the library behind that name decides the speed
    // (OpenBLAS's liblapack may be mapped beside a reference libblas).
    if let blas = paths.sorted().first(where: { ($0.split(separator: "/").last ?? "").hasPrefix("libblas.so") }) {
      if blas.contains("openblas") { return BLASLibrary(kind: .openBLAS, path: blas) }
      if blas.contains("mkl") { return BLASLibrary(kind: .mkl, path: blas) }
      if blas.contains("blis") { return BLASLibrary(kind: .blis, path: blas) }
      if blas.contains("/blas/") { return BLASLibrary(kind: .reference, path: blas) }
      return BLASLibrary(kind: .unknown, path: blas)
    }
    func find(_ needle: String) -> String? { paths.sorted().first { $0.contains(needle) } }
    if let p = find("libopenblas") { return BLASLibrary(kind: .openBLAS, path: p) }
    if let p = find("libmkl") { return BLASLibrary(kind: .mkl, path: p) }
    if let p = find("libblis") { return BLASLibrary(kind: .blis, path: p) }
    return BLASLibrary(kind: .unknown, path: nil)
  }

  /// OpenBLAS's kernel family in this process (e.g. "SkylakeX"; "Prescott" means a CPU it did not
  /// recognise, the engine loader names one from the CPU flags), nil for other libraries.
  public var openBLASKernels: String? {
    guard kind == .openBLAS, let path, path.hasPrefix("/"),
          let library = dlopen(path, RTLD_LAZY | RTLD_NOLOAD) else { return nil }
    defer { dlclose(library) }
    guard let symbol = dlsym(library, "openblas_get_corename") else { return nil }
    let corename = unsafeBitCast(symbol, to: (@convention(c) () -> UnsafePointer<CChar>?).self)
    return corename().map { String(cString: $0) }
  }

  public var description: String {
    let kernels = openBLASKernels.map { ", kernels \($0)" } ?? ""
    return path.map { "\(kind.rawValue) (\($0)\(kernels))" } ?? kind.rawValue
  }
}
