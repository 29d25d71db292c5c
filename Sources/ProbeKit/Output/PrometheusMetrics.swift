import FoundationEssentials
import SafeText
import ProviderFetch

/// probe's Prometheus metrics, cumulative across rounds, and their exposition: the one writer of
/// both the textfile report (`report --format prometheus`) and `probe serve`'s `/metrics`.
///
/// Pure: rounds go in (``ingest(_:timestamp:)``), text comes out (``render(openMetrics:process:)``).
/// Per server (labels as ever: `target`, `address`, `method`, and for a provider's server
/// `provider`, `name`, `country`): `probe_rtt_seconds` is a histogram of every answered probe since
/// start (buckets from 50 µs doubling to about 26 s, as smokeping_prober's), `probe_sent_total` and
/// `probe_received_total` are counters (loss over any window is a PromQL rate), and `probe_up`,
/// `probe_score_seconds`, `probe_loss_ratio` are gauges of the latest round.
package struct PrometheusMetrics: Sendable {
    /// Histogram bounds in seconds: 50 µs × 2^k, k = 0...19 (up to 26.2 s), as smokeping_prober.
    package static let defaultBuckets: [Double] = (0..<20).map { 0.000_05 * Double(1 << $0) }

    private struct Series: Sendable {
        var buckets: [UInt64]
        var sum = 0.0
        var count: UInt64 = 0
        var sent: UInt64 = 0
        var received: UInt64 = 0
        /// The last successful round that had this series.
        var lastSeen: UInt64 = 0
    }

    /// Successful rounds a series may be missing from before it is dropped: a server a provider no
    /// longer lists, a label or address that changed (a reload, DNS), does not stay forever (memory
    /// and series churn); one missing for a round or two (a provider's bad minute) keeps its counters.
    package var staleRounds: UInt64 = 10

    /// Upper bounds of the histogram's buckets, seconds, ascending (`+Inf` is implied).
    package let buckets: [Double]
    private var series: [String: Series] = [:]
    private var order: [String] = []
    private var latest: ProbeRound?
    private var latestTimestamp = 0.0
    private var rounds: UInt64 = 0
    private var skipped: UInt64 = 0
    private var failed: UInt64 = 0
    private var successes: UInt64 = 0
    private var switches: UInt64 = 0
    private var choice: String?

    /// Metrics with these histogram bounds (seconds; sorted, positive, finite ones kept).
    package init(buckets: [Double] = PrometheusMetrics.defaultBuckets) {
        let kept = Set(buckets.filter { $0.isFinite && $0 > 0 }).sorted()
        self.buckets = kept.isEmpty ? Self.defaultBuckets : kept
    }

    /// Adds a round: its answered probes to the histograms and counters, its report as the latest.
    package mutating func ingest(_ round: ProbeRound, timestamp: Double) {
        rounds += 1
        skipped += UInt64(max(0, round.skipped))
        latest = round
        latestTimestamp = timestamp
        guard case .success(let report) = round.result else {
            failed += 1
            return
        }
        successes += 1
        var seen = Set<String>()
        for entry in report.ranked {
            let labels = Self.labels(entry)
            guard seen.insert(labels).inserted else { continue }  // a target listed twice counts once
            var current = series[labels] ?? Series(buckets: Array(repeating: 0, count: buckets.count))
            if series[labels] == nil { order.append(labels) }
            current.sent += UInt64(max(0, entry.sent))
            current.received += UInt64(max(0, entry.received))
            for sample in entry.samples {
                guard let milliseconds = sample.rttMs, milliseconds.isFinite, milliseconds >= 0 else { continue }
                let seconds = milliseconds / 1_000
                current.sum += seconds
                current.count += 1
                if let bucket = buckets.firstIndex(where: { seconds <= $0 }) { current.buckets[bucket] += 1 }
            }
            current.lastSeen = successes
            series[labels] = current
        }
        if successes > staleRounds {
            order.removeAll { labels in
                guard let kept = series[labels], kept.lastSeen + staleRounds < successes else { return false }
                series[labels] = nil
                return true
            }
        }
        let best = report.best.map(Self.labels)
        if let best, best != choice {
            if choice != nil { switches += 1 }
            choice = best
        }
    }

    /// The latest report, if the latest round produced one.
    package var latestReport: ProbeReport? {
        guard case .success(let report)? = latest?.result else { return nil }
        return report
    }

    /// The process's own figures (`process_*`), read by the caller where it runs.
    package struct ProcessFigures: Sendable, Equatable {
        package var cpuSeconds: Double
        package var residentBytes: Double
        package var virtualBytes: Double
        package var openDescriptors: Int
        package var maximumDescriptors: Int
        package var startTimeSeconds: Double

        package init(cpuSeconds: Double, residentBytes: Double, virtualBytes: Double, openDescriptors: Int, maximumDescriptors: Int, startTimeSeconds: Double) {
            self.cpuSeconds = cpuSeconds
            self.residentBytes = residentBytes
            self.virtualBytes = virtualBytes
            self.openDescriptors = openDescriptors
            self.maximumDescriptors = maximumDescriptors
            self.startTimeSeconds = startTimeSeconds
        }
    }

    /// The exposition: Prometheus text format 0.0.4, or OpenMetrics 1.0 (counter families named
    /// without `_total`, `# EOF` at the end) when the scraper asked for it.
    package func render(openMetrics: Bool = false, process: ProcessFigures? = nil) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            // OpenMetrics names a counter family without its `_total` suffix.
            let familyName = openMetrics && type == "counter" && name.hasSuffix("_total") ? String(name.dropLast(6)) : name
            out += "# HELP \(familyName) \(help)\n# TYPE \(familyName) \(type)\n"
        }
        // A family of one unlabelled sample.
        func single(_ name: String, _ type: String, _ help: String, _ value: String) {
            family(name, type, help)
            out += "\(name) \(value)\n"
        }
        family("probe_rtt_seconds", "histogram", "Round-trip time of every answered probe since probe started.")
        for labels in order {
            guard let values = series[labels] else { continue }
            var cumulative: UInt64 = 0
            for (index, bound) in buckets.enumerated() {
                cumulative += values.buckets[index]
                out += "probe_rtt_seconds_bucket{\(labels),le=\"\(Self.number(bound))\"} \(cumulative)\n"
            }
            out += "probe_rtt_seconds_bucket{\(labels),le=\"+Inf\"} \(values.count)\n"
            out += "probe_rtt_seconds_sum{\(labels)} \(Self.number(values.sum))\n"
            out += "probe_rtt_seconds_count{\(labels)} \(values.count)\n"
        }
        family("probe_sent_total", "counter", "Probes sent to the server since probe started.")
        for labels in order { out += "probe_sent_total{\(labels)} \(series[labels]?.sent ?? 0)\n" }
        family("probe_received_total", "counter", "Probes the server answered since probe started.")
        for labels in order { out += "probe_received_total{\(labels)} \(series[labels]?.received ?? 0)\n" }

        family("probe_build_info", "gauge", "probe's version (always 1; its label names it).")
        out += "probe_build_info{version=\"\(Self.escape(ProbeVersion.current))\"} 1\n"
        single("probe_rounds_total", "counter", "Rounds run since probe started.", "\(rounds)")
        single("probe_rounds_skipped_total", "counter", "Rounds skipped because the one before overran its period.", "\(skipped)")
        single("probe_rounds_failed_total", "counter", "Rounds that failed as a whole (no report).", "\(failed)")
        single("probe_best_switches_total", "counter", "Times the choice moved to another server (the first choice is not a switch).", "\(switches)")

        if let report = latestReport {
            var seen = Set<String>()
            let entries = report.ranked.filter { seen.insert(Self.labels($0)).inserted }
            family("probe_up", "gauge", "Whether the server answered in the latest round (1) or not (0).")
            for entry in entries { out += "probe_up{\(Self.labels(entry))} \(entry.score == nil ? 0 : 1)\n" }
            family("probe_loss_ratio", "gauge", "Share of the server's probes that got no answer in the latest round (0..1).")
            for entry in entries { out += "probe_loss_ratio{\(Self.labels(entry))} \(Self.number(entry.loss))\n" }
            family("probe_score_seconds", "gauge", "The server's ranking score (effective latency) in the latest round.")
            for entry in entries { if let score = entry.score { out += "probe_score_seconds{\(Self.labels(entry))} \(Self.seconds(score))\n" } }
            family("probe_best", "gauge", "The current choice (always 1; its labels name the server).")
            if let best = report.best { out += "probe_best{\(Self.labels(best))} 1\n" }
            family("probe_provider_up", "gauge", "Whether the provider's server list was fetched (1) or not (0).")
            for provider in report.providers { out += "probe_provider_up{provider=\"\(Self.escape(provider.name))\"} \(provider.up ? 1 : 0)\n" }
            family("probe_provider_servers", "gauge", "Servers the provider listed.")
            for provider in report.providers { out += "probe_provider_servers{provider=\"\(Self.escape(provider.name))\"} \(provider.servers)\n" }
            family("probe_provider_fetch_duration_seconds", "gauge", "How long fetching the provider's server list took.")
            for provider in report.providers {
                out += "probe_provider_fetch_duration_seconds{provider=\"\(Self.escape(provider.name))\"} \(Self.seconds(provider.fetchMs))\n"
            }
            family("probe_round_duration_seconds", "gauge", "How long each phase of the latest round took.")
            if let durations = report.durations {
                if let fetch = durations.fetchMs { out += "probe_round_duration_seconds{phase=\"fetch\"} \(Self.seconds(fetch))\n" }
                out += "probe_round_duration_seconds{phase=\"probe\"} \(Self.seconds(durations.probeMs))\n"
                out += "probe_round_duration_seconds{phase=\"rank\"} \(Self.seconds(durations.rankMs))\n"
            }
        }
        if let process {
            single("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", Self.number(process.cpuSeconds))
            single("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", Self.number(process.residentBytes))
            single("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", Self.number(process.virtualBytes))
            single("process_open_fds", "gauge", "Number of open file descriptors.", "\(process.openDescriptors)")
            single("process_max_fds", "gauge", "Maximum number of open file descriptors.", "\(process.maximumDescriptors)")
            single("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", Self.number(process.startTimeSeconds))
        }
        // The latest round's outcome and time last: a reader that sees this line has the whole file.
        if latest != nil {
            single("probe_round_success", "gauge", "Whether the latest round ran (1) or failed as a whole (0).", latestReport == nil ? "0" : "1")
            single("probe_round_timestamp_seconds", "gauge", "When the latest round ended (Unix time).", String(printf: "%.3f", latestTimestamp))
        }
        if openMetrics { out += "# EOF\n" }
        return out
    }

    /// The content type of a rendering.
    package static func contentType(openMetrics: Bool) -> String {
        openMetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8" : "text/plain; version=0.0.4; charset=utf-8"
    }

    /// Whether an `Accept` header asks for OpenMetrics (as Prometheus does when it may).
    package static func wantsOpenMetrics(accept: String?) -> Bool {
        accept?.lowercased().contains("application/openmetrics-text") ?? false
    }

    /// A server's label set: target, address, method, for a provider's server provider, name,
    /// country, then the configuration's custom labels in name order.
    package static func labels(_ entry: ReportEntry) -> String {
        var pairs = [("target", entry.target), ("address", entry.address ?? ""), ("method", entry.method)]
        if let server = entry.server {
            pairs += [("provider", server.provider), ("name", server.name), ("country", server.country ?? "")]
        }
        if let custom = entry.labels {
            pairs += custom.keys.sorted().map { ($0, custom[$0] ?? "") }
        }
        return pairs.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",")
    }

    /// Label values: backslash, double quote and line feed escaped, as the exposition format requires.
    package static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    /// Milliseconds as seconds, to nine significant digits.
    static func seconds(_ milliseconds: Double) -> String { number(milliseconds / 1_000) }

    /// A sample value: nine significant digits (`2.9e-05`, not `2.8999999999999997e-05`), `NaN`/`+Inf` spelled out.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        return String(printf: "%.9g", value)
    }
}
