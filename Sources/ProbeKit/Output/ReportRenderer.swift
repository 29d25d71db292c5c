import Foundation

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

/// Turns rounds into report text. Keeps what the HTML trend needs (the last ``historyLimit``
/// rounds' figures of each server), so one renderer follows one run of rounds.
package struct ReportRenderer: Sendable {
    /// The format.
    package let format: ReportFormat
    /// Servers charted in HTML.
    package static let chartedServers = 5
    /// Rounds kept for the HTML trend.
    package static let historyLimit = 500
    /// Servers whose trend is kept each round: the best ones (the charts show the best five; a
    /// server that climbs into them has its recent rounds). Bounds the memory of a long run over
    /// thousands of servers (10,000 × 500 rounds of points would be 160 MB).
    package static let trackedServers = 50

    private var trend: [String: [TrendPoint]] = [:]
    private var roundsSeen = 0
    /// The Prometheus metrics (histograms and counters cumulative over this renderer's rounds).
    private var metrics = PrometheusMetrics()

    struct TrendPoint: Hashable, Sendable, Codable {
        var round: Int
        var median: Double?
        var loss: Double
    }

    /// A renderer.
    package init(format: ReportFormat) { self.format = format }

    /// The header written once before the first round (CSV's header row), else empty.
    package var header: String {
        format == .csv ? Self.csvColumns.joined(separator: ",") + "\n" : ""
    }

    /// The text for `round` ended at `timestamp` (seconds since 1970, wall clock: a label, not a measurement).
    /// For `jsonl` and `csv` this is what to append; for the others, the whole current output.
    package mutating func render(_ round: ProbeRound, timestamp: Double) -> String {
        roundsSeen += 1
        if case .success(let report) = round.result {
            for entry in report.ranked.prefix(Self.trackedServers) {
                var points = trend[entry.candidateID] ?? []
                points.append(TrendPoint(round: round.index, median: entry.rttMs?.median, loss: entry.loss))
                if points.count > Self.historyLimit { points.removeFirst(points.count - Self.historyLimit) }
                trend[entry.candidateID] = points
            }
        }
        switch format {
        case .jsonl: return Self.jsonl(round, timestamp: timestamp)
        case .csv: return Self.csv(round, timestamp: timestamp)
        case .markdown: return Self.markdown(round, timestamp: timestamp)
        case .prometheus:
            metrics.ingest(round, timestamp: timestamp)
            return metrics.render()
        case .html: return html(round, timestamp: timestamp)
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
        "excluded",
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
            ]
            text += fields.map(csvField).joined(separator: ",") + "\n"
        }
        return text
    }

    /// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
    static func csvField(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
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
        lines += ["", "| # | server | provider | state | method | median ms | p90 ms | jitter ms | loss | score |",
                  "| ---: | --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"]
        for entry in report.ranked {
            let rtt = entry.rttMs
            let state: String = entry.excluded.map { "\(entry.state) (left out: \($0))" } ?? entry.state
            let median: String = rtt.map { number($0.median) } ?? "-"
            let p90: String = rtt.map { number($0.p90) } ?? "-"
            let jitter: String = rtt.map { number($0.jitter) } ?? "-"
            let loss: String = number((entry.loss * 1_000).rounded() / 10) + "%"
            let score: String = entry.score.map(number) ?? "-"
            let provider: String = entry.server?.provider ?? ""
            let cells: [String] = [String(entry.rank), label(entry), provider, state, entry.method, median, p90, jitter, loss, score]
            lines.append("| " + cells.map(markdownCell).joined(separator: " | ") + " |")
        }
        if !report.errors.isEmpty {
            lines += ["", "Errors:", ""] + report.errors.map { "- \(markdownCell($0.description))" }
        }
        if let durations = report.durations {
            let fetch = durations.fetchMs.map { "fetch \(number($0)) ms, " } ?? ""
            lines += ["", fetch + "probe \(number(durations.probeMs)) ms, rank \(number(durations.rankMs)) ms"]
        }
        return lines.joined(separator: "\n") + "\n\n"
    }

    static func label(_ entry: ReportEntry) -> String {
        if let server = entry.server { return "\(server.name) (\(entry.target))" }
        return entry.target
    }

    /// Pipes and line breaks would break the table.
    static func markdownCell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    // MARK: - Prometheus

    static func labels(_ entry: ReportEntry) -> String { PrometheusMetrics.labels(entry) }

    /// Seconds to nine significant digits (`2.9e-05`, not `2.8999999999999997e-05`).
    static func seconds(_ milliseconds: Double) -> String {
        guard milliseconds.isFinite else { return number(milliseconds) }
        return String(format: "%.9g", milliseconds / 1_000)
    }

    // MARK: - HTML

    mutating func html(_ round: ProbeRound, timestamp: Double) -> String {
        var data: [UInt8] = []
        let encoder = StreamingJSONEncoder()
        func raw(_ text: String) { data.append(contentsOf: text.utf8) }
        func value(_ encodable: some Encodable) { (try? encoder.encode(encodable, into: &data)) ?? raw("null") }
        // The charted servers: the latest round's best few. Each carries its latest samples and its trend.
        var charted: [ReportEntry] = []
        var errors: [ReportError] = []
        if case .success(let report) = round.result {
            charted = Array(report.ranked.filter { $0.score != nil }.prefix(Self.chartedServers))
            errors = report.errors
        } else if case .failure(let error) = round.result {
            errors = [ReportError(source: "round", message: error.message)]
        }
        raw("{\"round\":\(round.index),\"rounds\":\(roundsSeen),\"timestamp\":")
        value(Self.iso8601(timestamp))
        raw(",\"servers\":[")
        for (index, entry) in charted.enumerated() {
            if index > 0 { raw(",") }
            raw("{\"label\":")
            value(Self.label(entry))
            raw(",\"samples\":")
            value(entry.samples.compactMap(\.rttMs))
            raw(",\"median\":")
            value(entry.rttMs?.median)
            raw(",\"loss\":")
            value(entry.loss)
            raw(",\"score\":")
            value(entry.score)
            raw(",\"trend\":")
            value(trend[entry.candidateID] ?? [])
            raw("}")
        }
        raw("],\"errors\":")
        value(errors.map(\.description))
        raw("}")
        // `</` inside a script would end it: escape the slash.
        let json = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "</", with: "<\\/")
        return Self.page.replacingOccurrences(of: "__DATA__", with: json)
    }

    static let page = #"""
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <title>probe report</title>
    <style>
    body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
    h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
    .server { display: flex; gap: 2em; flex-wrap: wrap; align-items: flex-start; }
    svg { background: #fafafa; border: 1px solid #ddd; }
    .axis { stroke: #999; stroke-width: 1; } .tick { fill: #666; font-size: 10px; }
    .sample { fill: #1f77b4; fill-opacity: 0.7; } .median { stroke: #d62728; stroke-width: 2; }
    .trend { fill: none; stroke: #2ca02c; stroke-width: 2; } .point { fill: #2ca02c; }
    .errors { color: #a00; }
    </style>
    </head>
    <body>
    <h1>probe report</h1>
    <p id="summary"></p>
    <div id="charts"></div>
    <ul class="errors" id="errors"></ul>
    <script id="report-data" type="application/json">__DATA__</script>
    <script>
    "use strict";
    const data = JSON.parse(document.getElementById("report-data").textContent);
    const NS = "http://www.w3.org/2000/svg";
    function el(name, attributes, parent) {
      const node = document.createElementNS(NS, name);
      for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
      if (parent) parent.appendChild(node);
      return node;
    }
    function ms(v) { return (v < 1 ? v.toFixed(3) : v < 100 ? v.toFixed(1) : v.toFixed(0)) + " ms"; }
    function text(parent, x, y, content, anchor) {
      const node = el("text", { x, y, class: "tick", "text-anchor": anchor || "start" }, parent);
      node.textContent = content;
    }
    document.getElementById("summary").textContent =
      `Round ${data.round} at ${data.timestamp} (${data.rounds} round(s) so far). RTT distribution of the latest round, and the median over the rounds, for the best ${data.servers.length} server(s).`;
    const charts = document.getElementById("charts");
    for (const server of data.servers) {
      const heading = document.createElement("h2");
      heading.textContent = `${server.label}: median ${server.median === null ? "-" : ms(server.median)}, loss ${(server.loss * 100).toFixed(1)}%`;
      charts.appendChild(heading);
      const row = document.createElement("div");
      row.className = "server";
      charts.appendChild(row);
      // Distribution: every answered sample on an RTT axis, the median as a line.
      const width = 420, height = 120, pad = 30;
      const dist = el("svg", { width, height, class: "rtt-distribution", role: "img" }, row);
      const values = server.samples.length ? server.samples : [0];
      const low = Math.min(...values), high = Math.max(...values, low + 0.001);
      const x = v => pad + (v - low) / (high - low) * (width - 2 * pad);
      el("line", { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, class: "axis" }, dist);
      text(dist, pad, height - 10, ms(low), "middle");
      text(dist, width - pad, height - 10, ms(high), "middle");
      server.samples.forEach((v, i) => el("circle", { cx: x(v), cy: height - pad - 12 - (i % 5) * 8, r: 4, class: "sample" }, dist));
      if (server.median !== null) el("line", { x1: x(server.median), y1: 10, x2: x(server.median), y2: height - pad, class: "median" }, dist);
      // Trend: the median of each round so far.
      const trend = el("svg", { width, height, class: "rtt-trend", role: "img" }, row);
      const points = server.trend.filter(p => p.median !== null);
      const rounds = server.trend.map(p => p.round);
      const r0 = Math.min(...rounds, 0), r1 = Math.max(...rounds, r0 + 1);
      const medians = points.map(p => p.median);
      const m0 = Math.min(...medians, Infinity), m1 = Math.max(...medians, -Infinity);
      const lo = isFinite(m0) ? m0 : 0, hi = isFinite(m1) && m1 > lo ? m1 : lo + 1;
      const tx = r => pad + (r - r0) / (r1 - r0) * (width - 2 * pad);
      const ty = m => height - pad - (m - lo) / (hi - lo) * (height - 2 * pad);
      el("line", { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, class: "axis" }, trend);
      text(trend, 2, 12, ms(hi));
      text(trend, 2, height - pad - 4, ms(lo));
      text(trend, pad, height - 10, "round " + r0);
      text(trend, width - pad, height - 10, "round " + r1, "end");
      el("polyline", { points: points.map(p => `${tx(p.round)},${ty(p.median)}`).join(" "), class: "trend" }, trend);
      points.forEach(p => el("circle", { cx: tx(p.round), cy: ty(p.median), r: 3, class: "point" }, trend));
    }
    const errors = document.getElementById("errors");
    for (const line of data.errors) {
      const item = document.createElement("li");
      item.textContent = line;
      errors.appendChild(item);
    }
    document.body.setAttribute("data-rendered", String(data.servers.length));
    </script>
    </body>
    </html>

    """#

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
    static func iso8601(_ timestamp: Double) -> String {
        var time = time_t(timestamp.isFinite ? timestamp.rounded(.down) : 0)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}
