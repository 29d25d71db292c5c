package import ArgumentParser
import SafeText
import FoundationEssentials
import Glibc
import ProbeKit

/// `probe serve`'s flags, shared by the `probe serve` entry (which hands them to `probe-serve`
/// unchanged) and `probe-serve` itself: one declaration, so help, completions, the man page and
/// validation agree.
package struct ServeOptions: ParsableArguments {
    package init() {}

    /// `serve`'s name, abstract and discussion (`probe serve --help`, `probe-serve --help`).
    package static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Probe every period and serve the results: /metrics for Prometheus, /best for an orchestrator.",
        discussion: """
            GET /metrics (Prometheus text, or OpenMetrics when the scraper asks for it), /best (the \
            current choice as the --json entry, with its connection's manifest under --connect; ETag \
            per round, 304 on If-None-Match; ?wait=30s waits until the choice changes), /report (the \
            latest round as --json), /healthz, /-/healthy, /-/ready, / (the HTML report); POST /-/reload. \
            Rounds run as `report` runs them (an overrun round's successors are skipped), their probe \
            starts spread over half the period. Binds loopback by default; --web-config gives TLS and \
            basic auth. SIGHUP and POST /-/reload re-read the configuration, targets and web-config \
            files (a bad file keeps the previous one). SIGINT and SIGTERM stop it: exit 130 and 143.
            """)

    @Option(help: ArgumentHelp("Address and port to listen on: 127.0.0.1:9374, [::1]:9374, 0.0.0.0:9374.", valueName: "HOST:PORT"))
    package var listen = "127.0.0.1:9374"

    @Option(help: ArgumentHelp("Time between rounds: 30s, 5m, 500ms.", valueName: "DURATION"))
    package var every = "30s"

    @Option(help: ArgumentHelp(
        "Histogram bucket bounds in seconds, comma-separated (default: 50 µs doubling to 26 s, as smokeping_prober).",
        valueName: "SECONDS,..."))
    package var buckets: String?

    @Option(help: ArgumentHelp(
        "TLS and basic auth for the listener, in the exporters' web-config file (tls_server_config, basic_auth_users).",
        valueName: "FILE"))
    package var webConfig: String?

    @Option(name: .customLong("connect"), help: ArgumentHelp(
        "Keep what a client needs to connect to the pick in DIR (0700, files 0600), fetched again when the pick moves; /best carries its manifest.",
        valueName: "DIR"))
    package var connectDirectory: String?

    @Option(help: ArgumentHelp(
        "HTTP connections open at once (default: 512, kept to a quarter of the descriptor limit left after 64); at the cap the connection idle longest is closed.",
        valueName: "N"))
    package var maxConnections: Int?

    @Option(help: ArgumentHelp("How long a client may take to send a request's header (and body).", valueName: "DURATION"))
    package var headerTimeout = "10s"

    @Option(help: ArgumentHelp("How long a kept-alive connection may wait for its next request.", valueName: "DURATION"))
    package var idleTimeout = "60s"

    @Option(name: .customLong("allow-host"), help: ArgumentHelp(
        "A host name clients may reach this listener by (Host header; repeatable; '*' for any). Address literals and localhost are always admitted (DNS rebinding).",
        valueName: "NAME"))
    package var allowedHosts: [String] = []

    @Flag(help: "Send each round's probes as fast as --rate allows instead of spreading them over half the period.")
    package var noSpread = false

    @Flag(name: [.short, .long], help: "No notes or per-round errors on stderr.")
    package var quiet = false

    @OptionGroup package var input: TargetInput
    @OptionGroup package var probing: ProbingOptions
    @OptionGroup package var ranking: RankingOptions
    @OptionGroup package var connect: ConnectOptions

    /// The listen address, parsed.
    package struct Listen: Equatable {
        package var host: String
        package var port: UInt16
        package var v6: Bool
        package var isLoopback: Bool { v6 ? host == "::1" : host.hasPrefix("127.") }
    }

    /// `HOST:PORT` or `[V6]:PORT` with a numeric address and an explicit port, read by the one
    /// target parser (``ProbeTarget/init(parsing:defaultPort:)``).
    package static func parse(listen text: String) -> Listen? {
        guard let target = try? ProbeTarget(parsing: text, defaultPort: 0), target.port > 0 else { return nil }
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, target.host, &v4) == 1 { return Listen(host: target.host, port: target.port, v6: false) }
        if inet_pton(AF_INET6, target.host, &v6) == 1 { return Listen(host: target.host, port: target.port, v6: true) }
        return nil
    }

    package static func parse(buckets text: String) -> [Double]? {
        let values = text.split(separator: ",").map { Double($0.trimmingSpaces()) }
        guard !values.isEmpty, values.allSatisfy({ $0.map { $0.isFinite && $0 > 0 } ?? false }) else { return nil }
        return values.compactMap { $0 }
    }

    package func validate() throws {
        guard Self.parse(listen: listen) != nil else {
            throw ValidationError("--listen '\(listen)' is not HOST:PORT with a numeric address (127.0.0.1:9374, [::1]:9374)")
        }
        guard let period = DurationText.parse(every) else { throw ValidationError("--every '\(every)' is not a duration (try 30s, 5m or 500ms)") }
        guard period >= .milliseconds(10), period <= .seconds(7 * 86_400) else {
            throw ValidationError("--every must be between 10ms and 7 days, got '\(every)'")
        }
        if let buckets, Self.parse(buckets: buckets) == nil {
            throw ValidationError("--buckets '\(buckets)' is not a comma-separated list of positive seconds (0.001,0.01,0.1)")
        }
        if connectDirectory == "-" { throw ValidationError("--connect takes a directory here: the connection is kept there and served by /best") }
        if connectDirectory != nil, ranking.protocols.count > 1 {
            throw ValidationError("--connect takes one --protocol at most, got \(ranking.protocols.count)")
        }
        if input.targetsFile == "-" { throw ValidationError("--targets - cannot be read again on reload: give a file") }
        for (flag, text) in [("--header-timeout", headerTimeout), ("--idle-timeout", idleTimeout)] {
            guard let value = DurationText.parse(text), value >= .milliseconds(100), value <= .seconds(3_600) else {
                throw ValidationError("\(flag) '\(text)' is not a duration between 100ms and 1h (try 10s)")
            }
        }
        if let maxConnections, !(1...1_000_000).contains(maxConnections) {
            throw ValidationError("--max-connections must be between 1 and 1000000, got \(maxConnections)")
        }
    }
}
