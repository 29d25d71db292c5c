import FoundationEssentials
import SafeText
import ProviderFetch

/// The HTML report: one self-contained page (no external assets, works offline, dark mode) with a
/// server-rendered table of every server of the latest round (so it reads with JavaScript off),
/// and, drawn by its script from the embedded history: SmokePing-style charts (the median line over
/// the spread of samples as smoke, loss as colour) on one shared time axis and a zero-based RTT
/// axis, the timeline of the choice with its switches and their reasons, and each provider's
/// availability over the rounds.
///
/// The history (``Round``, one per round) is what survives restarts: `probe report --history FILE`
/// appends each round as a JSON line and reads them back, bounded by ``Retention``.
package struct HTMLReport: Sendable {
    /// Servers whose figures a round keeps for the charts (the best ones, and the choice).
    package static let trackedServers = 50

    /// How much history is kept: a number of rounds, or an age.
    package enum Retention: Hashable, Sendable {
        /// The last N rounds.
        case rounds(Int)
        /// Rounds at most this many seconds older than the newest.
        case seconds(Double)

        /// `500` (rounds) or a duration (`7d`, `12h`).
        package init?(_ text: String) {
            if let count = Int(text) {
                guard count >= 1, count <= 1_000_000 else { return nil }
                self = .rounds(count)
            } else if let duration = DurationText.parse(text), duration > .zero {
                self = .seconds(ReportRenderer.milliseconds(duration) / 1_000)
            } else {
                return nil
            }
        }
    }

    /// One round as the history keeps it (a line of the history file).
    package struct Round: Codable, Hashable, Sendable {
        /// The round's index.
        package var round: Int
        /// When it ended (seconds since 1970: a label, not a measurement).
        package var time: Double
        /// The choice: its id and label, and the sticky reason when stickiness decided.
        package var bestID: String?
        package var best: String?
        package var reason: String?
        /// Why the round failed, when it did.
        package var failed: String?
        /// The tracked servers' figures.
        package var servers: [Point]
        /// Each provider's state.
        package var providers: [ProviderPoint]

        enum CodingKeys: String, CodingKey {
            case round, time, bestID = "best_id", best, reason, failed, servers, providers
        }
    }

    /// A server's figures in one round (milliseconds; `nil` without answers).
    package struct Point: Codable, Hashable, Sendable {
        package var id: String
        package var label: String
        package var min: Double?
        package var median: Double?
        package var p90: Double?
        package var max: Double?
        package var loss: Double
    }

    /// A provider's state in one round.
    package struct ProviderPoint: Codable, Hashable, Sendable {
        package var name: String
        package var up: Bool
        package var servers: Int
    }

    /// What is kept.
    package var retention: Retention
    /// The rounds kept, oldest first.
    package private(set) var history: [Round] = []
    /// The latest round (its full table), when one was added.
    private var latest: ProbeRound?
    private var latestTime = 0.0

    /// A report keeping `retention` of history.
    package init(retention: Retention = .rounds(500)) {
        self.retention = retention
    }

    /// Adds rounds read back from a history file (oldest first), then trims to the retention.
    package mutating func restore(_ rounds: [Round]) {
        history = rounds + history
        trim()
    }

    /// Adds `round`, ended at `timestamp`; returns its history record (for the history file).
    @discardableResult
    package mutating func add(_ round: ProbeRound, timestamp: Double) -> Round {
        latest = round
        latestTime = timestamp
        var record = Round(round: round.index, time: timestamp, servers: [], providers: [])
        switch round.result {
        case .success(let report):
            record.bestID = report.best?.candidateID
            record.best = report.best.map(ReportRenderer.label)
            record.reason = report.sticky?.reason
            var tracked = Array(report.ranked.filter { $0.score != nil }.prefix(Self.trackedServers))
            if let best = report.best, !tracked.contains(where: { $0.candidateID == best.candidateID }) { tracked.append(best) }
            record.servers = tracked.map { entry in
                Point(id: entry.candidateID, label: ReportRenderer.label(entry), min: entry.rttMs?.min, median: entry.rttMs?.median,
                      p90: entry.rttMs?.p90, max: entry.rttMs?.max, loss: entry.loss)
            }
            record.providers = report.providers.map { ProviderPoint(name: $0.name, up: $0.up, servers: $0.servers) }
        case .failure(let error):
            record.failed = error.message
        }
        history.append(record)
        trim()
        return record
    }

    private mutating func trim() {
        switch retention {
        case .rounds(let count):
            if history.count > count { history.removeFirst(history.count - count) }
        case .seconds(let age):
            guard let newest = history.last?.time else { return }
            history.removeAll { newest - $0.time > age }
        }
    }

    // MARK: - History file

    /// The rounds of a history file (JSON lines), oldest first; lines that are not rounds are skipped
    /// and counted (a file cut short by a crash loses its last line, nothing else).
    package static func readHistory(path: String) -> (rounds: [Round], skipped: Int) {
        guard let data = FileManager.default.contents(atPath: path) else { return ([], 0) }
        var rounds: [Round] = []
        var skipped = 0
        let decoder = JSONDecoder()
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            if let round = try? decoder.decode(Round.self, from: Data(line)) { rounds.append(round) } else { skipped += 1 }
        }
        return (rounds, skipped)
    }

    /// One history line.
    package static func historyLine(_ round: Round) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return ((try? encoder.encode(round)).map { String(decoding: $0, as: UTF8.self) } ?? "{}") + "\n"
    }

    /// The whole history as a file's contents (for rewriting it trimmed).
    package var historyText: String { history.map(Self.historyLine).joined() }

    // MARK: - Page

    /// What `probe serve`'s `/` adds to the page: a refresh every `refreshSeconds` and links to
    /// its other endpoints.
    package struct Live: Sendable {
        package var refreshSeconds: Int
        package init(refreshSeconds: Int) { self.refreshSeconds = refreshSeconds }
    }

    /// The page: the latest round's table and the history's charts (`live`: as `probe serve`'s `/`).
    package func render(live: Live? = nil) -> String {
        var body = ""
        var report: ProbeReport?
        var failure: String?
        if let latest {
            switch latest.result {
            case .success(let finished): report = finished
            case .failure(let error): failure = error.message
            }
        }
        let first = history.first.map { ReportRenderer.iso8601($0.time) } ?? "-"
        body += "<header><h1>probe report</h1><p class=\"summary\">"
        if let latest {
            body += "Round \(latest.index) at \(ReportRenderer.iso8601(latestTime)) · \(history.count) round(s) since \(first) · probe \(Self.escape(ProbeVersion.current))"
        }
        body += "</p>"
        if let live {
            body += "<nav class=\"endpoints\">This page reloads every \(live.refreshSeconds) s · <a href=\"/best\">/best</a> · <a href=\"/report\">/report</a> · "
                + "<a href=\"/metrics\">/metrics</a> · <a href=\"/healthz\">/healthz</a></nav>"
        }
        if let best = report?.best {
            body += "<p class=\"best\">Best: <strong>\(Self.escape(ReportRenderer.label(best)))</strong>"
            body += " — median \(best.rttMs.map { Self.ms($0.median) } ?? "-"), score \(best.score.map { Self.ms($0) } ?? "-")"
            if let reason = report?.sticky?.reason { body += " <span class=\"reason\">(\(Self.escape(reason)))</span>" }
            body += "</p>"
        } else if let failure {
            body += "<p class=\"failed\">The latest round failed: \(Self.escape(failure))</p>"
        } else if report != nil {
            body += "<p class=\"failed\">Nothing answered in the latest round.</p>"
        }
        body += "</header>\n"
        body += "<section><h2>Every server of the latest round</h2>" + serversTable(report) + "</section>\n"
        body += "<section><h2>The choice over time</h2><div id=\"timeline\"></div><ul id=\"legend\" class=\"legend\"></ul>" + switchesList() + "</section>\n"
        body += "<section id=\"charts-section\"><h2>RTT over the rounds</h2><p class=\"note\">Median line over the spread of the round's samples (min to max, grey); "
            + "the marks' colour is the loss: <span class=\"l0\">0</span> <span class=\"l1\">≤ 5 %</span> <span class=\"l2\">≤ 20 %</span> "
            + "<span class=\"l3\">&gt; 20 %</span>. One time axis for every chart; RTT axes start at zero. Click a row of the table to chart its server.</p>"
            + "<div id=\"charts\"></div></section>\n"
        body += "<section><h2>Providers</h2>" + providersTable(report) + "</section>\n"
        if let errors = report?.errors, !errors.isEmpty {
            body += "<section><h2>Errors</h2><ul class=\"errors\">" + errors.map { "<li>\(Self.escape($0.description))</li>" }.joined() + "</ul></section>\n"
        }
        let refresh = live.map { "<meta http-equiv=\"refresh\" content=\"\($0.refreshSeconds)\">" } ?? ""
        return Self.page.replacingAll("__REFRESH__", with: refresh).replacingAll("__BODY__", with: body).replacingAll("__DATA__", with: historyJSON())
    }

    /// The server-rendered table: a row per server, sortable and paged by the script.
    private func serversTable(_ report: ProbeReport?) -> String {
        guard let report else { return "<p>No round has a table yet.</p>" }
        var out = "<table id=\"servers\" class=\"servers\"><thead><tr>"
        for (key, title, numeric) in [("rank", "#", true), ("name", "server", false), ("provider", "provider", false), ("country", "country", false),
                                      ("median", "median ms", true), ("p90", "p90 ms", true), ("loss", "loss", true), ("score", "score", true),
                                      ("state", "state", false), ("excluded", "why excluded", false)] {
            out += "<th data-key=\"\(key)\"\(numeric ? " data-numeric=\"1\"" : "") scope=\"col\">\(title)</th>"
        }
        out += "</tr></thead><tbody>"
        out.reserveCapacity(report.ranked.count * 260)
        for entry in report.ranked {
            let server = entry.server
            let name = server?.name ?? entry.target
            out += "<tr data-id=\"\(Self.escape(entry.candidateID))\" data-label=\"\(Self.escape(ReportRenderer.label(entry)))\""
            out += entry.rttMs.map { " data-min=\"\($0.min)\" data-median=\"\($0.median)\" data-p90=\"\($0.p90)\" data-max=\"\($0.max)\"" } ?? ""
            out += " data-loss=\"\(entry.loss)\"\(entry.excluded == nil ? "" : " class=\"excluded\"")>"
            out += "<td>\(entry.rank)</td><td>\(Self.escape(name))</td><td>\(Self.escape(server?.provider ?? "-"))</td>"
            out += "<td>\(Self.escape(server?.country ?? "-"))</td>"
            out += "<td data-v=\"\(entry.rttMs?.median ?? -1)\">\(entry.rttMs.map { Self.number($0.median) } ?? "-")</td>"
            out += "<td data-v=\"\(entry.rttMs?.p90 ?? -1)\">\(entry.rttMs.map { Self.number($0.p90) } ?? "-")</td>"
            out += "<td data-v=\"\(entry.loss)\" class=\"\(Self.lossClass(entry.loss))\">\(Self.percent(entry.loss))</td>"
            out += "<td data-v=\"\(entry.score ?? -1)\">\(entry.score.map(Self.number) ?? "-")</td>"
            out += "<td>\(Self.escape(entry.state))</td><td>\(Self.escape(entry.excluded ?? ""))</td></tr>\n"
        }
        out += "</tbody></table><div id=\"pager\" class=\"pager\"></div>"
        return out
    }

    private func providersTable(_ report: ProbeReport?) -> String {
        var names: [String] = []
        for round in history { for provider in round.providers where !names.contains(provider.name) { names.append(provider.name) } }
        if names.isEmpty {
            // No provider's status in the rounds (servers handed in, as the demo's): the providers
            // the table's servers come from, without a status.
            var listed: [String] = []
            for entry in report?.ranked ?? [] { if let name = entry.server?.provider, !listed.contains(name) { listed.append(name) } }
            guard !listed.isEmpty else { return "<p>No providers: explicit targets only.</p>" }
            return "<p class=\"note\">The servers' providers (no fetch status in these rounds): "
                + listed.map { "<strong>\(Self.escape($0))</strong>" }.joined(separator: ", ") + "</p>"
        }
        var out = "<table class=\"providers\"><thead><tr><th>provider</th><th>now</th><th>servers</th><th>available</th><th>over the rounds</th></tr></thead><tbody>"
        for name in names {
            let states = history.compactMap { round in round.providers.first { $0.name == name } }
            let up = states.filter(\.up).count
            let now = report?.providers.first { $0.name == name }
            out += "<tr><td>\(Self.escape(name))</td><td class=\"\(now?.up == false ? "down" : "up")\">\(now.map { $0.up ? "up" : "down" } ?? "-")</td>"
            out += "<td>\(now?.servers ?? 0)</td><td>\(states.isEmpty ? "-" : Self.percent(Double(up) / Double(states.count)))</td>"
            out += "<td><svg class=\"availability\" width=\"300\" height=\"14\" role=\"img\" aria-label=\"\(up) of \(states.count) rounds up\">"
            let width = 300.0 / Double(max(1, states.count))
            for (index, state) in states.enumerated() {
                out += "<rect x=\"\(Self.number(Double(index) * width))\" y=\"0\" width=\"\(Self.number(max(width, 1)))\" height=\"14\" class=\"\(state.up ? "up" : "down")\"></rect>"
            }
            out += "</svg></td></tr>"
        }
        return out + "</tbody></table>"
    }

    private func switchesList() -> String {
        var items: [String] = []
        var previous: Round?
        for round in history where round.failed == nil {
            if let before = previous, before.bestID != round.bestID {
                items.append("<li><time>\(ReportRenderer.iso8601(round.time))</time> round \(round.round): \(Self.escape(before.best ?? "nothing")) → "
                    + "<strong>\(Self.escape(round.best ?? "nothing"))</strong>\(round.reason.map { " — \(Self.escape($0))" } ?? "")</li>")
            }
            previous = round
        }
        guard !items.isEmpty else { return "<p class=\"note\">No switch in these rounds.</p>" }
        return "<ol class=\"switches\">" + items.suffix(50).joined() + "</ol>"
    }

    /// The history for the script, as JSON with `<`, `>` and `&` written as `\u003c`, `\u003e` and
    /// `\u0026`: no `</script` can end the element and no `<!--` can change how the parser reads
    /// the rest of it (a server named `<!--<script>` would otherwise stop the page's script).
    private func historyJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let text = (try? encoder.encode(history)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        return Self.scriptSafe(text)
    }

    /// JSON made safe inside a `<script>` element (the characters appear in JSON strings only).
    static func scriptSafe(_ json: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(json.utf8.count + 64)
        for byte in json.utf8 {
            switch byte {
            case UInt8(ascii: "&"): out.append(contentsOf: "\\u0026".utf8)
            case UInt8(ascii: "<"): out.append(contentsOf: "\\u003c".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "\\u003e".utf8)
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static func number(_ value: Double) -> String { ReportRenderer.number((value * 1_000).rounded() / 1_000) }
    static func ms(_ value: Double) -> String { number(value) + " ms" }
    static func percent(_ share: Double) -> String { ReportRenderer.number((share * 1_000).rounded() / 10) + " %" }
    static func lossClass(_ loss: Double) -> String { loss == 0 ? "l0" : loss <= 0.05 ? "l1" : loss <= 0.2 ? "l2" : "l3" }

    static let page = #"""
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="color-scheme" content="light dark">
    __REFRESH__
    <title>probe report</title>
    <style>
    :root { --fg: #1d1d1f; --bg: #ffffff; --muted: #6b6b70; --grid: #e3e3e8; --panel: #f7f7f9; --smoke: #9a9aa3; --line: #1f5fbf;
            --l0: #2e9e44; --l1: #1f77d0; --l2: #e08a00; --l3: #d62728; --up: #2e9e44; --down: #d62728; --accent: #e8f0fc; }
    @media (prefers-color-scheme: dark) {
      :root { --fg: #e8e8ea; --bg: #151517; --muted: #a0a0a8; --grid: #34343a; --panel: #1e1e22; --smoke: #77777f; --line: #6ea8ff;
              --l0: #4cc463; --l1: #5aa9ff; --l2: #ffb23e; --l3: #ff6b6b; --up: #4cc463; --down: #ff6b6b; --accent: #24324a; }
    }
    body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5em 2em; color: var(--fg); background: var(--bg); }
    h1 { font-size: 1.4em; margin: 0 0 .2em; } h2 { font-size: 1.1em; margin: 1.6em 0 .5em; }
    .summary, .note { color: var(--muted); } .reason { color: var(--muted); } .failed { color: var(--l3); }
    table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
    th, td { padding: .25em .6em; border-bottom: 1px solid var(--grid); text-align: left; white-space: nowrap; }
    th[data-numeric], td[data-v] { text-align: right; }
    table.servers th { cursor: pointer; user-select: none; position: sticky; top: 0; background: var(--bg); }
    table.servers th.asc::after { content: " ▲"; } table.servers th.desc::after { content: " ▼"; }
    table.servers tbody tr { cursor: pointer; } table.servers tbody tr:hover, tr.charted { background: var(--accent); }
    tr.excluded td { color: var(--muted); }
    .l0 { color: var(--l0); } .l1 { color: var(--l1); } .l2 { color: var(--l2); } .l3 { color: var(--l3); }
    td.up { color: var(--up); } td.down { color: var(--down); }
    svg rect.up { fill: var(--up); } svg rect.down { fill: var(--down); }
    .pager { margin: .6em 0; } .pager button { margin-right: .4em; }
    .chart { margin: .4em 0 1em; } .chart h3 { font-size: .95em; margin: 0 0 .2em; font-weight: 600; }
    svg { display: block; overflow: visible; } svg text { fill: var(--muted); font-size: 10px; }
    .gridline { stroke: var(--grid); stroke-width: 1; } .smoke { fill: var(--smoke); fill-opacity: .45; }
    .median-line { fill: none; stroke: var(--line); stroke-width: 1.5; }
    .loss-mark.l0 { fill: var(--l0); } .loss-mark.l1 { fill: var(--l1); } .loss-mark.l2 { fill: var(--l2); } .loss-mark.l3 { fill: var(--l3); }
    .switch { stroke: var(--fg); stroke-width: 1.5; stroke-dasharray: 3 2; }
    ul.legend { list-style: none; padding: 0; margin: .3em 0; display: flex; flex-wrap: wrap; gap: .3em 1.2em; }
    ul.legend li::before { content: ""; display: inline-block; width: .9em; height: .9em; margin-right: .35em; vertical-align: -.1em; background: var(--swatch); border-radius: 2px; }
    nav.endpoints { color: var(--muted); margin: .2em 0; }
    ul.errors { color: var(--l3); }
    </style>
    </head>
    <body>
    __BODY__
    <script id="history-data" type="application/json">__DATA__</script>
    <script>
    "use strict";
    (function () {
      const history = JSON.parse(document.getElementById("history-data").textContent);
      const NS = "http://www.w3.org/2000/svg";
      const PAGE = 25;
      function el(name, attributes, parent) {
        const node = document.createElementNS(NS, name);
        for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
        if (parent) parent.appendChild(node);
        return node;
      }
      function label(parent, x, y, content, anchor) {
        const node = el("text", { x: x, y: y, "text-anchor": anchor || "start" }, parent);
        node.textContent = content;
        return node;
      }
      function lossClass(loss) { return loss === 0 ? "l0" : loss <= 0.05 ? "l1" : loss <= 0.2 ? "l2" : "l3"; }
      // One time axis for every chart and the timeline: the rounds' span with half a round's
      // room at each end (a single round sits in the middle), at least 10 s.
      const times = history.map(r => r.time);
      const first = times.length ? Math.min(...times) : 0, last = times.length ? Math.max(...times) : 0;
      const pad = Math.max(5, (last - first) / Math.max(1, times.length - 1) / 2);
      const t0 = first - pad, t1 = last + pad;
      const WIDTH = 760, LEFT = 52, RIGHT = 12;
      const tx = t => LEFT + (t - t0) / (t1 - t0) * (WIDTH - LEFT - RIGHT);
      // Time labels as precise as their spacing needs (seconds, tenths), the date only when the
      // span crosses one: four ticks never read the same.
      function clock(seconds, step) {
        const iso = new Date(seconds * 1000).toISOString();
        const decimals = step < 1 ? (step < 0.1 ? 2 : 1) : 0;
        const time = step >= 60 ? iso.slice(11, 16) : iso.slice(11, 19) + (decimals ? "." + iso.slice(20, 20 + decimals) : "");
        return (t1 - t0 >= 86400 ? iso.slice(5, 10) + " " : "") + time;
      }
      function timeAxis(svg, y) {
        const step = (t1 - t0) / 4;
        for (let i = 0; i <= 4; i++) {
          const t = t0 + step * i;
          label(svg, tx(t), y, clock(t, step), i === 0 ? "start" : i === 4 ? "end" : "middle").setAttribute("class", "time-tick");
        }
      }
      // RTT ticks at a round step (1, 2, 2.5 or 5 × 10^k), written with the decimals that step
      // needs: no two labels alike.
      function rttTicks(high) {
        const raw = (high > 0 ? high : 1) / 4;
        const power = Math.pow(10, Math.floor(Math.log10(raw)));
        let step = 10 * power;
        for (const m of [1, 2, 2.5, 5]) if (m * power >= raw) { step = m * power; break; }
        const decimals = Math.max(0, -Math.floor(Math.log10(step)) + (String(step / power).includes(".") ? 1 : 0));
        const ticks = [];
        for (let i = 0; i <= 4 && (i === 0 || ticks[ticks.length - 1].value < high); i++) ticks.push({ value: step * i, text: (step * i).toFixed(decimals) + " ms" });
        return ticks;
      }

      // A SmokePing-style chart: per round, the spread of samples (min..max) as smoke, the
      // median as a line, loss as the marks' colour; the RTT axis starts at zero.
      function chart(id, title, fallback) {
        const points = [];
        for (const round of history) {
          const point = round.servers.find(s => s.id === id);
          if (point) points.push({ time: round.time, min: point.min, median: point.median, max: point.max, loss: point.loss });
        }
        if (!points.length && fallback) points.push(fallback);
        const box = document.createElement("div");
        box.className = "chart";
        box.setAttribute("data-id", id);
        const heading = document.createElement("h3");
        heading.textContent = title;
        box.appendChild(heading);
        const height = 150, top = 8, bottom = 22;
        const svg = el("svg", { width: WIDTH, height: height, class: "smoke-chart", role: "img", "aria-label": "RTT of " + title }, box);
        const high = Math.max(0, ...points.map(p => p.max != null ? p.max : p.median != null ? p.median : 0));
        const ticks = rttTicks(high * 1.05);
        const ymax = ticks[ticks.length - 1].value;
        const ty = v => top + (1 - Math.min(v, ymax) / ymax) * (height - top - bottom);
        for (const tick of ticks) {
          el("line", { x1: LEFT, x2: WIDTH - RIGHT, y1: ty(tick.value), y2: ty(tick.value), class: "gridline" }, svg);
          label(svg, LEFT - 6, ty(tick.value) + 3, tick.text, "end").setAttribute("class", "rtt-tick");
        }
        timeAxis(svg, height - 6);
        // A round's band: at most 24 px wide, never outside the plot.
        const slot = Math.min(24, Math.max(2, (WIDTH - LEFT - RIGHT) / Math.max(1, history.length) * 0.8));
        for (const p of points) {
          if (p.min != null && p.max != null) {
            const a = Math.max(LEFT, tx(p.time) - slot / 2), b = Math.min(WIDTH - RIGHT, tx(p.time) + slot / 2);
            el("rect", { x: a, width: Math.max(1, b - a), y: ty(p.max), height: Math.max(1, ty(p.min) - ty(p.max)), class: "smoke" }, svg);
          }
        }
        const line = points.filter(p => p.median != null).map(p => tx(p.time).toFixed(1) + "," + ty(p.median).toFixed(1));
        if (line.length) el("path", { d: "M" + line.join("L"), class: "median-line" }, svg);
        for (const p of points) {
          const y = p.median != null ? ty(p.median) : top;  // a round with no answer: a mark at the top
          el("circle", { cx: tx(p.time), cy: y, r: p.median != null ? 2.5 : 3.5, class: "loss-mark " + lossClass(p.loss) }, svg);
        }
        return box;
      }

      const charts = document.getElementById("charts");
      const latest = history.length ? history[history.length - 1] : null;
      const shown = new Set();
      function show(id, title, fallback) {
        if (shown.has(id)) return;
        shown.add(id);
        charts.appendChild(chart(id, title, fallback));
        const row = document.querySelector('#servers tbody tr[data-id="' + CSS.escape(id) + '"]');
        if (row) row.classList.add("charted");
      }
      if (latest) for (const server of latest.servers.slice(0, 5)) show(server.id, server.label);

      // The choice over time: a band per stretch of rounds with the same choice; switches marked.
      const timeline = document.getElementById("timeline");
      if (history.length) {
        const svg = el("svg", { width: WIDTH, height: 46, class: "choice-timeline", role: "img", "aria-label": "the choice over time" }, timeline);
        const ids = [...new Set(history.map(r => r.best_id).filter(Boolean))];
        // Blue first, then the golden angle around the wheel, never a red (red reads as trouble).
        const colour = id => {
          let hue = (210 + ids.indexOf(id) * 137.5) % 360;
          if (hue < 20 || hue > 340) hue = (hue + 40) % 360;
          return "hsl(" + hue.toFixed(0) + ", 55%, 55%)";
        };
        const legend = document.getElementById("legend");
        for (const id of ids) {
          const named = history.find(r => r.best_id === id);
          const item = document.createElement("li");
          item.style.setProperty("--swatch", colour(id));
          item.setAttribute("data-colour", colour(id));
          item.textContent = (named && named.best) || id;
          legend.appendChild(item);
        }
        let start = 0;
        for (let i = 1; i <= history.length; i++) {
          if (i === history.length || history[i].best_id !== history[start].best_id) {
            const a = start === 0 ? LEFT : tx((history[start - 1].time + history[start].time) / 2);
            const b = i < history.length ? tx((history[i - 1].time + history[i].time) / 2) : WIDTH - RIGHT;
            const band = el("rect", { x: a, y: 4, width: Math.max(1, b - a), height: 18, class: "choice", fill: history[start].best_id ? colour(history[start].best_id) : "transparent" }, svg);
            el("title", {}, band).textContent = (history[start].best || "nothing") + " from " + clock(history[start].time);
            if (start > 0) {
              const mark = el("line", { x1: a, x2: a, y1: 0, y2: 26, class: "switch" }, svg);
              el("title", {}, mark).textContent = "switch to " + (history[start].best || "nothing") + (history[start].reason ? ": " + history[start].reason : "");
            }
            start = i;
          }
        }
        timeAxis(svg, 40);
      }

      // The table: sortable by any column, paged; a click charts the row's server.
      const table = document.getElementById("servers");
      if (table) {
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        let page = 0;
        const pager = document.getElementById("pager");
        function paginate() {
          const pages = Math.max(1, Math.ceil(rows.length / PAGE));
          page = Math.min(page, pages - 1);
          rows.forEach((row, i) => { row.hidden = Math.floor(i / PAGE) !== page; });
          pager.textContent = "";
          if (pages > 1) {
            for (const [text, target] of [["« first", 0], ["‹ previous", page - 1], ["next ›", page + 1], ["last »", pages - 1]]) {
              const button = document.createElement("button");
              button.textContent = text;
              button.disabled = target < 0 || target >= pages || target === page;
              button.addEventListener("click", () => { page = target; paginate(); });
              pager.appendChild(button);
            }
            pager.appendChild(document.createTextNode(" page " + (page + 1) + " of " + pages + " (" + rows.length + " servers)"));
          }
        }
        function sortBy(index, descending) {
          const header = table.tHead.rows[0].cells[index];
          const numeric = header.hasAttribute("data-numeric");
          const value = row => {
            const cell = row.cells[index];
            if (!numeric) return cell.textContent;
            const v = parseFloat(cell.getAttribute("data-v") || cell.textContent);
            return v < 0 || isNaN(v) ? Infinity : v;  // unmeasured last, whichever the direction
          };
          rows.sort((a, b) => {
            const x = value(a), y = value(b);
            const order = numeric ? (x === y ? 0 : x === Infinity ? 1 : y === Infinity ? -1 : x - y) : String(x).localeCompare(String(y));
            return descending && !(x === Infinity || y === Infinity) ? -order : order;
          });
          for (const row of rows) body.appendChild(row);
          for (const cell of table.tHead.rows[0].cells) cell.classList.remove("asc", "desc");
          header.classList.add(descending ? "desc" : "asc");
          page = 0;
          paginate();
        }
        Array.from(table.tHead.rows[0].cells).forEach((cell, index) => {
          cell.addEventListener("click", () => sortBy(index, cell.classList.contains("asc")));
        });
        body.addEventListener("click", event => {
          const row = event.target.closest("tr");
          if (!row) return;
          const min = parseFloat(row.getAttribute("data-min")), median = parseFloat(row.getAttribute("data-median"));
          const fallback = latest ? { time: latest.time, min: isNaN(min) ? null : min, median: isNaN(median) ? null : median,
                                      max: parseFloat(row.getAttribute("data-max")) || null, loss: parseFloat(row.getAttribute("data-loss")) || 0 } : null;
          show(row.getAttribute("data-id"), row.getAttribute("data-label"), fallback);
          charts.lastChild.scrollIntoView({ block: "nearest" });
        });
        // #sort=KEY or #sort=-KEY sorts on load (a link to a sorted view).
        const match = /sort=(-?)(\w+)/.exec(location.hash);
        const keys = Array.from(table.tHead.rows[0].cells).map(cell => cell.getAttribute("data-key"));
        if (match && keys.includes(match[2])) sortBy(keys.indexOf(match[2]), match[1] === "-"); else paginate();
      }
      document.body.setAttribute("data-rendered", String(charts.children.length));
    })();
    </script>
    </body>
    </html>

    """#
}
