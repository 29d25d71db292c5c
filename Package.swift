// swift-tools-version: 6.0
// probe: pick the best VPN/proxy server before a client connects.
//
// Library targets (Prober, Ranking, ProviderFetch, ProbeKit) depend on no
// package: FoundationEssentials (never Foundation: its ICU data is 34 MB) and
// Glibc, SafeText and ProbeSystem (what Foundation's string extensions, Thread
// and Process gave), plus the small C targets (CProbe for what Swift cannot
// import from glibc, CLazyCurl, CZlib). docs/ARCHITECTURE.md has the rooms. The one exception is
// swift-crypto, used by HandshakeCrypto (the handshake probes) and reached by
// Prober only through its HandshakeCodec protocol.
//
// Two binaries. `probe` is ProbeKit, SafeText and ArgumentParser (ProbeCommandLine holds
// what the binaries share). `probe-serve` (target ProbeServe, what `probe serve`
// execs) adds the HTTP server and TLS: Hummingbird, SwiftNIO, NIOSSL, swift-log.
// Tests and the provider simulator add FlyingFox.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "probe",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "probe", targets: ["probe"]),
        .executable(name: "probe-serve", targets: ["ProbeServeMain"]),
        .executable(name: "netsim", targets: ["netsim"]),
        // The one library product: ProbeKit's public surface is what an orchestrator codes against.
        .library(name: "ProbeKit", targets: ["ProbeKit"]),
        // Not the product: probe-serve's parts, for the fuzzing package (Fuzz/) to reach its web config.
        .library(name: "ProbeServe", targets: ["ProbeServe"]),
        // Not the product: the workloads Benchmarks/ (its own package) measures.
        .library(name: "BenchmarkSupport", targets: ["BenchmarkSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        // Documentation only (a plugin): `swift package generate-documentation --target ProbeKit`.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", exact: "1.5.0"),
        // Tests only: the provider simulator serves real HTTP on loopback.
        .package(url: "https://github.com/swhitty/FlyingFox.git", exact: "0.27.1"),
        // `probe serve`'s HTTP server (with TLS from its web config), in the executable only.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        // Hummingbird's logger, given to it silenced: probe prints its own one-line messages.
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        // Hummingbird's TLS: the web config's certificate, key and client CA, read into its configuration.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
        // serve's connection guard sees the HTTP parts between Hummingbird's codec and its router.
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", exact: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", exact: "1.8.0"),
        // The handshake probes' cryptography (Curve25519, ChaChaPoly, HMAC, AES-CTR): the one
        // package the probing core depends on, through the HandshakeCrypto target only.
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
    ],
    targets: [
        // epoll, eventfd, timerfd, TCP_INFO and ICMP headers: what Swift cannot import from Glibc.
        .target(name: "CProbe"),
        // Outside text made safe to print: control characters escaped, long input cut.
        .target(name: "SafeText", swiftSettings: strict),
        // The system below everything else: the one gatekeeper of system calls (Syscall, Errno;
        // Prober adds the socket calls), the atomic file writer, and threads and short-lived
        // helper programs without Foundation's Thread and Process (which would bring ICU into the
        // probe binary): pthreads and posix_spawn.
        .target(name: "ProbeSystem", dependencies: ["CProbe", "SafeText"], swiftSettings: strict),
        .target(name: "Prober", dependencies: ["CProbe", "SafeText", "ProbeSystem"], swiftSettings: strict),
        .target(name: "Ranking", swiftSettings: strict),
        // The version scripts/build-release stamps into a build (a C string: no flag changes, no rebuild of the rest).
        .target(name: "CBuildInfo"),
        // zlib (a system library: Debian's zlib1g-dev), for the zip bundles users hold.
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "ProviderFetch", dependencies: ["SafeText", "ProbeSystem", "CBuildInfo", "CLazyCurl", "CZlib"], swiftSettings: strict),
        // The handshake probes' cryptography (WireGuard's Noise_IKpsk2, OpenVPN's tls-auth and
        // tls-crypt), given to Prober through its HandshakeCodec protocol: swift-crypto, and
        // BLAKE2s written here.
        .target(name: "HandshakeCrypto", dependencies: ["Prober", .product(name: "Crypto", package: "swift-crypto"),
                                                        .product(name: "CryptoExtras", package: "swift-crypto")], swiftSettings: strict),
        .target(name: "ProbeKit", dependencies: ["Prober", "Ranking", "ProviderFetch", "SafeText", "ProbeSystem", "CProbe", "HandshakeCrypto"], swiftSettings: strict),
        // Sources/TestSupport: not the product. Benchmark workloads, the simulated network and the
        // provider simulator, for the tests, the benchmarks and the comparison scripts.
        .target(name: "BenchmarkSupport", dependencies: ["Prober", "Ranking", "ProviderFetch"], path: "Sources/TestSupport/BenchmarkSupport", swiftSettings: strict),
        // How the tests share a 2-core machine: a few helper programs at once (one Chromium), and
        // long computations on threads of their own, never on Swift's cooperative pool.
        .target(name: "TestPacing", path: "Sources/TestSupport/TestPacing", swiftSettings: strict),
        // A bare HTTP/1.1 listener for what a framework will not send (gzip bombs, endless bodies).
        .target(name: "TestHTTP", path: "Sources/TestSupport/TestHTTP"),
        // The simulated network for tests and benchmarks (TUN device in a private namespace).
        .target(name: "NetSim", dependencies: ["Prober", "CProbe", "ProbeSystem"], path: "Sources/TestSupport/NetSim", swiftSettings: strict),
        .executableTarget(
            name: "netsim",
            dependencies: ["NetSim", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/TestSupport/netsim",
            swiftSettings: strict
        ),
        // What the two binaries share: the flags (serve's included, so `probe serve --help` is
        // complete), the console, the wiring of a run. ProbeKit, SafeText and ArgumentParser.
        .target(name: "ProbeCommandLine", dependencies: ["ProbeKit", "SafeText", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                swiftSettings: strict),
        .executableTarget(
            name: "probe",
            // The CLI is thin: ProbeKit, SafeText and ArgumentParser (through ProbeCommandLine). No HTTP
            // server, no TLS: `probe serve` execs `probe-serve`.
            dependencies: ["ProbeKit", "ProbeCommandLine", "SafeText", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
        // `probe serve` (the `probe-serve` binary): its HTTP server and TLS (Hummingbird, NIOSSL),
        // web configuration, routes, connection guard and state, in one target of their own...
        .target(
            name: "ProbeServe",
            dependencies: ["ProbeKit", "ProbeCommandLine", "ProviderFetch", "Prober", "SafeText", "CProbe",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTLS", package: "hummingbird"),
                           .product(name: "Logging", package: "swift-log"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "HummingbirdCore", package: "hummingbird"), .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOHTTPTypes", package: "swift-nio-extras"), .product(name: "HTTPTypes", package: "swift-http-types")],
            swiftSettings: strict
        ),
        // ...and the binary, its entry alone.
        .executableTarget(name: "ProbeServeMain", dependencies: ["ProbeServe"], swiftSettings: strict),
        // The provider client's HTTP: libcurl, loaded when a run first fetches (dlopen), driven directly.
        .target(name: "CLazyCurl", linkerSettings: [.linkedLibrary("dl")]),
        // The provider APIs of the tests (FlyingFox), as a library for the tests and as the
        // `providersim` executable that netsim tests start inside the simulated network.
        .target(name: "ProviderSim", dependencies: ["ProviderFetch", .product(name: "FlyingFox", package: "FlyingFox")], path: "Sources/TestSupport/ProviderSim"),
        .executableTarget(
            name: "providersim",
            dependencies: ["ProviderSim", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/TestSupport/providersim"),
        .testTarget(name: "ProberTests", dependencies: ["Prober", "CProbe", "TestPacing", "HandshakeCrypto", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "RankingTests", dependencies: ["Ranking"]),
        .testTarget(name: "SafeTextTests", dependencies: ["SafeText"]),
        .testTarget(name: "ProviderFetchTests", dependencies: ["ProviderFetch", "ProviderSim", "probe", "TestPacing", "TestHTTP", .product(name: "FlyingFox", package: "FlyingFox")]),
        .testTarget(name: "ProbeKitTests", dependencies: ["ProbeKit", "Prober", "Ranking", "TestPacing", .product(name: "Crypto", package: "swift-crypto")]),
        // The library as an outside package sees it: ProbeKit alone, no @testable.
        .testTarget(name: "ProbeKitAPITests", dependencies: ["ProbeKit", "ProviderSim"]),
        .testTarget(name: "ProbeCLITests", dependencies: ["probe", "ProbeServeMain", "netsim", "providersim", "Prober", "NetSim", "TestPacing", "TestHTTP",
                                                    "ProviderFetch", "ProviderSim"]),
        .testTarget(name: "ProbeServeTests", dependencies: ["ProbeServe", "ProbeKit", "ProviderFetch", "Prober"]),
        .testTarget(name: "NetSimTests", dependencies: ["NetSim"]),
    ],
    swiftLanguageModes: [.v6]
)
