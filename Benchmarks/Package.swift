// swift-tools-version: 6.1
// probe's benchmarks: their own package, so the main package takes no benchmark dependency.
// Run: cd Benchmarks && swift package --allow-writing-to-package-directory benchmark
import Foundation
import PackageDescription

// A path dependency is known by its folder's name, which differs between checkouts (CI clones anywhere).
let probePackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

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
                // The layers below ProbeKit are `package` API: the workloads are built in probe's own package.
                .product(name: "BenchmarkSupport", package: probePackage),
            ],
            path: "Benchmarks/TCPSweep",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Providers",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "BenchmarkSupport", package: probePackage),
            ],
            path: "Benchmarks/Providers",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
