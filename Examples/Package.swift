// swift-tools-version: 6.0
// The README's library example as an outside package builds it: it depends on the ProbeKit product
// alone, so it compiles against ProbeKit's public surface and nothing else (`package` API of the
// probe package is invisible here). CI builds it: `swift build --package-path Examples`.
// Sources/Orchestrator/main.swift is the README's code block, word for word (a test checks).
import Foundation
import PackageDescription

// A path dependency is known by its folder's name, which differs between checkouts.
let probePackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

let package = Package(
    name: "probe-examples",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(name: "Orchestrator", dependencies: [.product(name: "ProbeKit", package: probePackage)]),
    ],
    swiftLanguageModes: [.v6]
)
