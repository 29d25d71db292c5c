// swift-tools-version: 6.1
// probe's benchmarks: their own package, so the main package takes no benchmark dependency.
// Run: cd Benchmarks && swift package --allow-writing-to-package-directory benchmark
import Foundation
import PackageDescription

// A path dependency is known by its folder's name, which differs between checkouts (CI clones anywhere).
let probePackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

// The benchmarks measure the layers below ProbeKit (the engine, the ranking, the decoders), which
// are `package` API: their modules join probe's package (the same package name) to see them.
let probeInternals: [SwiftSetting] = [.unsafeFlags(["-package-name", probePackage])]

let package = Package(
    name: "probe-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "TCPSweep",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ProbeKit", package: probePackage),
            ],
            path: "Benchmarks/TCPSweep",
            swiftSettings: probeInternals,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Providers",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ProbeKit", package: probePackage),
            ],
            path: "Benchmarks/Providers",
            swiftSettings: probeInternals,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
