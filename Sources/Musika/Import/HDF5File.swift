import CHDF5
import Foundation
import Torch

/// A read-only HDF5 file, through Debian's libhdf5: string-array attributes, float datasets, and the
/// paths of every dataset in it. Only what reading Keras weight files needs.
///
/// Every failure is a `MusikaError.invalidInput` that names the file and the object.
final class HDF5File {
  let url: URL
  private let id: hid_t

  /// libhdf5 as Debian builds it is not thread-safe: every call goes through this lock.
  private static let library = NSLock()

  init(_ url: URL) throws {
    self.url = url
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw MusikaError.invalidInput("\(url.path) does not exist")
    }
    let opened: hid_t = Self.library.withLock {
      chdf5_silence_errors()
      guard H5Fis_hdf5(url.path) > 0 else { return -1 }
      return chdf5_open_read_only(url.path)
    }
    guard opened >= 0 else {
      throw MusikaError.invalidInput("\(url.path) is not an HDF5 file (or cannot be read): expected a Keras .h5 "
        + "weight file such as the original Musika's enc.h5 or gen_ema.h5")
    }
    id = opened
  }

  deinit {
    _ = Self.library.withLock { H5Fclose(id) }
  }

  private func fail(_ reason: String) -> MusikaError {
    .invalidInput("\(url.path): \(reason)")
  }

  // MARK: Structure

  /// Whether a group (or any object) exists at `path` ("a/b", relative to the root).
  func exists(_ path: String) -> Bool {
    Self.library.withLock {
      // Each component must exist before the next is asked for, or libhdf5 reports an error.
      var prefix = ""
      for component in path.split(separator: "/") {
        prefix += prefix.isEmpty ? String(component) : "/\(component)"
        guard H5Lexists(id, prefix, 0) > 0 else { return false }
      }
      return true
    }
  }

  /// The path of every dataset in the file, relative to the root, in name order.
  func datasetPaths() throws -> [String] {
    try Self.library.withLock {
      final class Collector { var paths: [String] = [] }
      let collector = Collector()
      let status = chdf5_visit_paths(id, { path, context in
        guard let path, let context else { return }
        Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue().paths.append(String(cString: path))
      }, Unmanaged.passUnretained(collector).toOpaque())
      guard status >= 0 else { throw fail("cannot list its contents (damaged file?)") }
      return collector.paths.filter { path in
        let object = H5Oopen(id, path, 0)
        guard object >= 0 else { return false }
        defer { H5Oclose(object) }
        return H5Iget_type(object) == H5I_DATASET
      }
    }
  }

  // MARK: Attributes

  /// The strings of attribute `name` on the object at `path` ("" for the root), or nil when there is
  /// no such attribute. Fixed-length (numpy `S`) and variable-length strings are both read.
  func strings(attribute name: String, at path: String = "") throws -> [String]? {
    try Self.library.withLock {
      let object = H5Oopen(id, path.isEmpty ? "/" : path, 0)
      guard object >= 0 else { throw fail("has no object '\(path)'") }
      defer { H5Oclose(object) }
      guard H5Aexists(object, name) > 0 else { return nil }
      let attribute = H5Aopen(object, name, 0)
      guard attribute >= 0 else { throw fail("cannot open attribute '\(name)' of '\(path)'") }
      defer { H5Aclose(attribute) }
      let type = H5Aget_type(attribute)
      guard type >= 0 else { throw fail("cannot read the type of attribute '\(name)' of '\(path)'") }
      defer { H5Tclose(type) }
      let space = H5Aget_space(attribute)
      defer { H5Sclose(space) }
      let count = Int(H5Sget_simple_extent_npoints(space))
      guard count >= 0 else { throw fail("cannot read the size of attribute '\(name)' of '\(path)'") }
      // Keras stores an empty list as an empty float array, so an empty attribute of any type is [].
      if count == 0 { return [] }
      guard H5Tget_class(type) == H5T_STRING else {
        throw fail("attribute '\(name)' of '\(path)' holds no strings")
      }

      if H5Tis_variable_str(type) > 0 {
        let memoryType = chdf5_variable_string_type()
        guard memoryType >= 0 else { throw fail("libhdf5 cannot make a string type") }
        defer { H5Tclose(memoryType) }
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
        guard H5Aread(attribute, memoryType, &pointers) >= 0 else {
          throw fail("cannot read attribute '\(name)' of '\(path)'")
        }
        defer { for pointer in pointers { H5free_memory(pointer) } }
        return pointers.map { $0.map { String(cString: $0) } ?? "" }
      }
      // Fixed length: `count` strings of `size` bytes each, padded with NULs.
      let size = H5Tget_size(type)
      guard size > 0 else { throw fail("attribute '\(name)' of '\(path)' has strings of size 0") }
      var bytes = [UInt8](repeating: 0, count: count * size)
      guard H5Aread(attribute, type, &bytes) >= 0 else {
        throw fail("cannot read attribute '\(name)' of '\(path)'")
      }
      return (0..<count).map { k in
        let slice = bytes[(k * size)..<((k + 1) * size)]
        return String(decoding: slice.prefix { $0 != 0 }, as: UTF8.self)
      }
    }
  }

  // MARK: Datasets

  /// The shape of the dataset at `path`.
  func shape(ofDataset path: String) throws -> [Int] {
    try Self.library.withLock { try withDataset(path) { dataset in try datasetShape(dataset, path) } }
  }

  /// The dataset at `path` as a float32 tensor of its shape (libhdf5 converts fp16/fp64 on reading).
  func floats(_ path: String) throws -> Tensor {
    try Self.library.withLock {
      try withDataset(path) { dataset in
        let type = H5Dget_type(dataset)
        defer { H5Tclose(type) }
        guard H5Tget_class(type) == H5T_FLOAT else {
          throw fail("dataset '\(path)' does not hold floating-point numbers")
        }
        let shape = try datasetShape(dataset, path)
        var values = [Float](repeating: 0, count: shape.reduce(1, *))
        guard H5Dread(dataset, chdf5_native_float(), 0, 0, 0, &values) >= 0 else {
          throw fail("cannot read dataset '\(path)' (damaged or truncated file?)")
        }
        return Tensor(values, shape: shape)
      }
    }
  }

  private func withDataset<T>(_ path: String, _ body: (hid_t) throws -> T) throws -> T {
    let dataset = H5Dopen2(id, path, 0)
    guard dataset >= 0 else { throw fail("has no dataset '\(path)'") }
    defer { H5Dclose(dataset) }
    return try body(dataset)
  }

  private func datasetShape(_ dataset: hid_t, _ path: String) throws -> [Int] {
    let space = H5Dget_space(dataset)
    guard space >= 0 else { throw fail("cannot read the shape of dataset '\(path)'") }
    defer { H5Sclose(space) }
    let rank = Int(H5Sget_simple_extent_ndims(space))
    guard rank >= 0 else { throw fail("cannot read the shape of dataset '\(path)'") }
    var dims = [hsize_t](repeating: 0, count: rank)
    guard H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else {
      throw fail("cannot read the shape of dataset '\(path)'")
    }
    return dims.map { Int($0) }
  }
}
