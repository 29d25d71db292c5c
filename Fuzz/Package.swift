// swift-tools-version: 6.0
// Coverage-guided fuzzing (libFuzzer) of probe's parsers. `scripts/fuzz [SECONDS]` builds this
// package with `-sanitize=fuzzer` and runs each harness (PROBE_FUZZ=json|icmp|targets|duration|dns) on its seed
// corpus under Corpus/ for SECONDS; a crash leaves its input in Fuzz/crashes/ and fails the run.
import PackageDescription

let package = Package(
    name: "probe-fuzz",
    dependencies: [.package(name: "probe", path: "..")],
    targets: [
        .executableTarget(
            name: "ProbeFuzz",
            dependencies: [.product(name: "ProbeKit", package: "probe"), .product(name: "ProbeServe", package: "probe")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ]
)
