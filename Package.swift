// swift-tools-version: 6.0
// Musika for Swift. The tensor engine is libtorch, reached through the C API in Sources/CTorch.
//
// Which libtorch: Debian's `libtorch-dev` by default. Set LIBTORCH=/path/to/torch (a folder with
// include/ and lib/, e.g. a PyTorch wheel's site-packages/torch) to build against another one, CPU
// or CUDA. Wheels built with the pre-C++11 ABI need LIBTORCH_CXX11_ABI=0 as well.
import Foundation
import PackageDescription

let environment = Context.environment
let libtorch = environment["LIBTORCH"].flatMap { $0.isEmpty ? nil : $0 }

var torchCxxFlags = ["-std=c++17", "-Wno-deprecated-declarations"]
var torchLinkerFlags: [String] = []
if let root = libtorch {
  torchCxxFlags += ["-I\(root)/include", "-I\(root)/include/torch/csrc/api/include"]
  torchLinkerFlags += ["-L\(root)/lib", "-Xlinker", "-rpath", "-Xlinker", "\(root)/lib"]
} else {
  torchCxxFlags += ["-I/usr/include/torch/csrc/api/include"]
}
if let abi = environment["LIBTORCH_CXX11_ABI"], !abi.isEmpty {
  torchCxxFlags += ["-D_GLIBCXX_USE_CXX11_ABI=\(abi)"]
}

let package = Package(
  name: "Musika",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "musika", targets: ["musika"]),
    .library(name: "Musika", targets: ["Musika"]),
    .library(name: "Torch", targets: ["Torch"]),
    // The tensor engine that CTorch loads at first use; `./musika` and `./test` build it.
    .library(name: "MusikaTorchEngine", type: .dynamic, targets: ["CTorchEngine"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    // The studio's server code is generated from Sources/MusikaServer/openapi.yaml at build time.
    .package(url: "https://github.com/apple/swift-openapi-generator", from: "1.14.3"),
    .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
    .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird", from: "2.1.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
  ],
  targets: [
    // The C API (include/ctorch.h) as forwarders that load the engine on first use (TorchLoader.c):
    // the binary starts without libtorch, whose start-up takes most of a second.
    .target(name: "CTorch", linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]),
    // The C API's implementation over libtorch, built as libMusikaTorchEngine beside the binary.
    .target(
      name: "CTorchEngine",
      cxxSettings: [.unsafeFlags(torchCxxFlags)],
      linkerSettings: [
        .unsafeFlags(torchLinkerFlags + ["-Xlinker", "-Bsymbolic"]),
        .linkedLibrary("torch_cpu"), .linkedLibrary("c10"),
        .linkedLibrary("dl"),
      ]
    ),
    .target(name: "Torch", dependencies: ["CTorch"]),
    .systemLibrary(name: "CSndfile", providers: [.apt(["libsndfile1-dev"])]),
    .systemLibrary(name: "CSoxr", providers: [.apt(["libsoxr-dev"])]),
    // libhdf5 reads the original Musika's Keras weight files (`musika import`); pkg-config finds
    // Debian's serial build under /usr/include/hdf5/serial.
    .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
    .target(name: "Audio", dependencies: ["Torch", "CSndfile", "CSoxr"]),
    // zlib compresses the spectrogram PNGs.
    .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
    .target(name: "Musika", dependencies: ["Torch", "Audio", "CHDF5", "CZlib"]),
    .target(
      name: "MusikaServer",
      dependencies: ["Musika", "Audio", "Torch", .product(name: "Hummingbird", package: "hummingbird"),
                     .product(name: "HTTPTypes", package: "swift-http-types"), .product(name: "Logging", package: "swift-log"),
                     .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                     .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                     .product(name: "Yams", package: "Yams")],
      // openapi.yaml is read by the generator and served (as /openapi.json and /openapi.yaml); Page/
      // holds the studio's page, its script and its audio worklet, served as they are.
      resources: [.copy("openapi.yaml"), .copy("Page")],
      plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
    ),
    .executableTarget(
      name: "musika",
      dependencies: ["Musika", "MusikaServer", "Audio", "Torch",
                     .product(name: "ArgumentParser", package: "swift-argument-parser"),
                     .product(name: "Logging", package: "swift-log")]
    ),
    .testTarget(name: "TorchTests", dependencies: ["Torch"], resources: [.copy("Fixtures")]),
    .testTarget(name: "AudioTests", dependencies: ["Audio", "CSndfile"]),
    .testTarget(name: "MusikaTests", dependencies: ["Musika", "musika"], exclude: ["Fixtures"]),
    .testTarget(name: "MusikaServerTests", dependencies: [
      "MusikaServer", "Musika", "musika", .product(name: "HummingbirdTesting", package: "hummingbird"),
      .product(name: "HTTPTypes", package: "swift-http-types"),
    ]),
  ],
  cxxLanguageStandard: .cxx17
)
