import FoundationEssentials
import SafeText
import ProviderFetch

/// The formats of `probe report`.
package enum ReportFormat: String, Hashable, Sendable, Codable, CaseIterable {
    /// One JSON object per round, one line each.
    case jsonl
    /// One row per server per round, with a header.
    case csv
    /// A readable table of the round.
    case markdown
    /// Prometheus text exposition (node_exporter's textfile collector).
    case prometheus
    /// One self-contained page with charts of the top servers, over the rounds so far.
    case html

    /// Whether a file holds every round (appended) or only the latest output (replaced).
    package var accumulates: Bool { self == .jsonl || self == .csv }
}

/// Turns rounds into report text. Keeps what the HTML page needs across rounds (its
/// ``HTMLReport`` history) and the Prometheus metrics, so one renderer follows one run of rounds.
package struct ReportRenderer: Sendable {
    /// The format.
    package let format: ReportFormat
    /// The HTML page's history and latest table (format `html`).
    package var html = HTMLReport()
    /// The Prometheus metrics (histograms and counters cumulative over this renderer's rounds).
    private var metrics = PrometheusMetrics()
    /// The history record of the latest HTML round (for `--history FILE`).
    package private(set) var lastHistoryRecord: HTMLReport.Round?

    /// A renderer.
    package init(format: ReportFormat) { self.format = format }

    /// The header written once before the first round (CSV's header row), else empty.
    package var header: String {
        format == .csv ? Self.csvColumns.joined(separator: ",") + "\n" : ""
    }

    /// The text for `round` ended at `timestamp` (seconds since 1970, wall clock: a label, not a measurement).
    /// For `jsonl` and `csv` this is what to append; for the others, the whole current output.
    package mutating func render(_ round: ProbeRound, timestamp: Double) -> String {
        switch format {
        case .jsonl: return Self.jsonl(round, timestamp: timestamp)
        case .csv: return Self.csv(round, timestamp: timestamp)
        case .markdown: return Self.markdown(round, timestamp: timestamp)
        case .prometheus:
            metrics.ingest(round, timestamp: timestamp)
            return metrics.render()
        case .html:
            lastHistoryRecord = html.add(round, timestamp: timestamp)
            return html.render()
        }
    }

    // MARK: - JSON lines

    static func jsonl(_ round: ProbeRound, timestamp: Double) -> String {
        let encoder = StreamingJSONEncoder()
        var bytes: [UInt8] = []
        func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }
        func value(_ encodable: some Encodable) { (try? encoder.encode(encodable, into: &bytes)) ?? raw("null") }
        raw("{\"round\":\(round.index),\"timestamp\":")
        value(iso8601(timestamp))
        raw(",\"skipped\":\(round.skipped),\"scheduled_ms\":")
        value(ReportEntry.ms(milliseconds(round.scheduledAt)))
        raw(",\"started_ms\":")
        value(ReportEntry.ms(milliseconds(round.startedAt)))
        switch round.result {
        case .success(let report):
            // The round's own keys first, then the report, in the one schema ``ProbeReport`` writes.
            let prefix = String(decoding: bytes.dropFirst(), as: UTF8.self) + ","
            return report.jsonText(pretty: false, prefix: prefix) + "\n"
        case .failure(let error):
            raw(",\"best\":null,\"ranked\":[],\"errors\":")
            value([ReportError(source: "round", message: error.message)])
        }
        raw("}\n")
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - CSV

    static let csvColumns = [
        "timestamp", "round", "rank", "target", "host", "address", "port", "provider", "name", "country", "protocol", "method",
        "state", "sent", "received", "loss", "rtt_min_ms", "rtt_median_ms", "rtt_p90_ms", "rtt_max_ms", "jitter_ms", "score", "best",
        "excluded", "version",
    ]

    static func csv(_ round: ProbeRound, timestamp: Double) -> String {
        guard case .success(let report) = round.result else { return "" }
        let time = iso8601(timestamp)
        var text = ""
        for entry in report.ranked {
            let rtt = entry.rttMs
            let fields: [String] = [
                time, String(round.index), String(entry.rank), entry.target, entry.host, entry.address ?? "", String(entry.port),
                entry.server?.provider ?? "", entry.server?.name ?? "", entry.server?.country ?? "", entry.server?.protocol ?? "",
                entry.method, entry.state, String(entry.sent), String(entry.received), number(entry.loss),
                rtt.map { number($0.min) } ?? "", rtt.map { number($0.median) } ?? "", rtt.map { number($0.p90) } ?? "",
                rtt.map { number($0.max) } ?? "", rtt.map { number($0.jitter) } ?? "", entry.score.map(number) ?? "",
                entry.candidateID == report.best?.candidateID && report.best != nil ? "1" : "0", entry.excluded ?? "",
                ProbeVersion.current,
            ]
            text += fields.map(csvField).joined(separator: ",") + "\n"
        }
        return text
    }

    /// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. A text field
    /// that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a `'`
    /// in front, as OWASP advises; numbers and the `-` placeholder stay as they are.
    static func csvField(_ field: String) -> String {
        var field = field
        if let first = field.first, ["=", "+", "-", "@", "\t", "\r"].contains(first), field != "-", Double(field) == nil {
            field = "'" + field
        }
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingAll("\"", with: "\"\"") + "\""
    }

    // MARK: - Markdown

    static func markdown(_ round: ProbeRound, timestamp: Double) -> String {
        var lines = ["## Round \(round.index) — \(iso8601(timestamp))", ""]
        if round.skipped > 0 { lines += ["\(round.skipped) round(s) skipped before this one: the previous round overran its period.", ""] }
        guard case .success(let report) = round.result else {
            if case .failure(let error) = round.result { lines += ["The round failed: \(markdownCell(error.message))", ""] }
            return lines.joined(separator: "\n") + "\n"
        }
        if let best = report.best {
            lines.append("**Best:** \(markdownCell(label(best))) — median \(best.rttMs.map { number($0.median) } ?? "-") ms, "
                + "score \(best.score.map(number) ?? "-")" + (report.sticky.map { " (\(markdownCell($0.reason)))" } ?? ""))
        } else {
            lines.append("**Best:** nothing answered")
        }
        // The HTML page's table: the same columns in the same order.
        lines += ["", "| # | server | provider | country | median ms | p90 ms | loss | score | state | why excluded |",
                  "| ---: | --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |"]
        for entry in report.ranked {
            let rtt = entry.rttMs
            let median: String = rtt.map { number($0.median) } ?? "-"
            let p90: String = rtt.map { number($0.p90) } ?? "-"
            let loss: String = number((entry.loss * 1_000).rounded() / 10) + "%"
            let score: String = entry.score.map(number) ?? "-"
            let cells: [String] = [String(entry.rank), label(entry), entry.server?.provider ?? "", entry.server?.country ?? "",
                                   median, p90, loss, score, entry.state, entry.excluded ?? ""]
            lines.append("| " + cells.map(markdownCell).joined(separator: " | ") + " |")
        }
        if !report.errors.isEmpty {
            lines += ["", "Errors:", ""] + report.errors.map { "- \(markdownCell($0.description))" }
        }
        if let durations = report.durations {
            let fetch = durations.fetchMs.map { "fetch \(number($0)) ms, " } ?? ""
            lines += ["", fetch + "probe \(number(durations.probeMs)) ms, rank \(number(durations.rankMs)) ms"]
        }
        lines += ["", "probe \(ProbeVersion.current)"]
        return lines.joined(separator: "\n") + "\n\n"
    }

    static func label(_ entry: ReportEntry) -> String {
        if let server = entry.server { return "\(server.name) (\(entry.target))" }
        return entry.target
    }

    /// Outside text as one Markdown table cell: control characters escaped, no raw HTML (`<`, `>`,
    /// `&` as entities), no link, code or emphasis syntax (`[`, `]`, `` ` ``, `*`, `_`
    /// backslash-escaped, so `[x](javascript:...)` is text), pipes escaped.
    static func markdownCell(_ text: String) -> String {
        var out = ""
        for character in SafeText.escaped(text, limit: 1_000) {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "|", "[", "]", "`", "*", "_", "\\": out += "\\" + String(character)
            default: out.append(character)
            }
        }
        return out
    }

    // MARK: - Prometheus

    static func labels(_ entry: ReportEntry) -> String { PrometheusMetrics.labels(entry) }

    /// Seconds to nine significant digits, as the Prometheus exposition writes them.
    static func seconds(_ milliseconds: Double) -> String { PrometheusMetrics.seconds(milliseconds) }

    // MARK: - Shared

    static func number(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "+Inf" : "-Inf") }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }

    /// `2026-11-23T18:00:00Z` (UTC, to the second).
    static func iso8601(_ timestamp: Double) -> String { UTCTime.iso8601(timestamp.isFinite ? timestamp : 0) }
}
