import FoundationEssentials
import Glibc
import SafeText
import ProbeCommandLine
import ProbeKit

/// Turns a report into what people and scripts read.
enum ReportFormatter {
    /// Writes the report as one JSON object, an entry per line, through `write`.
    /// Entries are encoded one at a time, so memory stays flat however many targets there are;
    /// keys come in the schema's order.
    static func writeJSON(_ report: ProbeReport, to write: (inout [UInt8]) -> Void) throws {
        try report.writeJSON(pretty: true, to: write)
    }

    /// What `-q` prints: the target as given, or for a provider's server whose service port is
    /// not known (it was pinged, not connected to), its host alone: never a guessed port.
    static func quietTarget(_ entry: ReportEntry) -> String {
        // A port that was not probed is not shown as if it had been: a server listed without one is
        // its host alone; a UDP service (measured by ICMP) is its own host:port.
        if let server = entry.server, entry.servicePort == nil {
            guard let port = server.port else { return server.host }
            return (server.host.contains(":") ? "[\(server.host)]" : server.host) + ":\(port)"
        }
        return entry.target
    }

    /// `best: 127.0.0.1:443  median 0.041 ms  (p90 0.052 ms, jitter 0.006 ms, loss 0%)  open, tcp, kernel timing`.
    static func bestLine(_ entry: ReportEntry) -> String {
        var line = "best: \(entry.target)"
        if let server = entry.server {
            line = "best: \(server.name) (\(quietTarget(entry)), \(server.provider)" + (server.country.map { ", \($0)" } ?? "") + ")"
        } else if let address = entry.address, address != entry.host {
            line += " (\(address))"
        }
        if let rtt = entry.rttMs {
            line += "  median \(ms(rtt.median))  (p90 \(ms(rtt.p90)), jitter \(ms(rtt.jitter)), loss \(percent(entry.loss)))"
        }
        let state = entry.state == "refused" ? "refused (host up, port closed)" : entry.state
        line += "  \(state), \(entry.method)"
        if let timing = entry.timing { line += ", \(timing) timing" }
        return line
    }

    /// What measured an entry's score, in words.
    static func measuredBy(_ method: String) -> String {
        switch method {
        case "wireguard": "its WireGuard handshake"
        case "openvpn": "its OpenVPN reset"
        case "icmp": "ICMP echo"
        case "tcp": "TCP connect"
        default: method
        }
    }

    /// `--explain`: each term of the score for the best and the runners-up, what separates them,
    /// and why servers were left out.
    static func explanation(_ report: ProbeReport) -> String {
        func name(_ entry: ReportEntry) -> String { entry.server.map { "\($0.name) (\(entry.target))" } ?? entry.target }
        func terms(_ t: ScoreTerms) -> String {
            "median \(ms(t.median)) + loss \(ms(t.loss)) + jitter \(ms(t.jitter)) + tail \(ms(t.tail)) + load \(ms(t.load)) + slots \(ms(t.slots))"
        }
        var lines: [String] = []
        let scored = report.ranked.filter { $0.score != nil }
        for (position, entry) in scored.prefix(4).enumerated() {
            guard let score = entry.score, let t = entry.scoreTerms else { continue }
            var line = "  \(position + 1). \(name(entry)): score \(ms(score)) by \(measuredBy(entry.method)) = \(terms(t))"
            if entry.state == "refused" {
                line += "; port refused: ranked after every server whose port answered"
            } else if position > 0, let best = scored.first, let bestScore = best.score, let b = best.scoreTerms {
                let gaps = [("median", t.median - b.median), ("loss", t.loss - b.loss), ("jitter", t.jitter - b.jitter),
                            ("tail", t.tail - b.tail), ("load", t.load - b.load), ("slots", t.slots - b.slots)]
                    .filter { abs($0.1) >= 0.0005 }.sorted { $0.1 > $1.1 }
                line += "; \(ms(score - bestScore)) behind the best" + (gaps.first.map { ", mostly \($0.0) (+\(ms($0.1)))" } ?? "")
            }
            lines.append(line)
        }
        for entry in scored.prefix(4) {
            guard let t = entry.scoreTerms else { continue }
            var rules: [String] = []
            if let rule = t.loadRule { rules.append("load \(ms(t.load)): \(rule)") }
            if let rule = t.slotsRule { rules.append("slots \(ms(t.slots)): \(rule)") }
            if t.capped == true { rules.append("capacity terms capped at the larger of 10 ms and half the median") }
            if !rules.isEmpty { lines.append("  capacity of \(name(entry)): " + rules.joined(separator: "; ")) }
        }
        for entry in report.ranked where entry.excluded != nil {
            lines.append("  left out: \(name(entry)): \(entry.excluded ?? "")")
        }
        for entry in report.ranked.prefix(16) {
            guard let handshake = entry.handshake, let reason = handshake.unavailable else { continue }
            lines.append("  no handshake: \(name(entry)): \(reason)")
        }
        for entry in report.ranked where entry.excluded == nil && entry.score == nil {
            lines.append("  no answer: \(name(entry)) (\(entry.state))")
        }
        if let early = report.early, let cutoff = early.cutoffMs {
            // The figures the run used, as the report carries them.
            let rule = early.cutoffFactor.map { factor in
                " (\(DecimalText.oneDecimal(factor)) × the best first answer + \(DecimalText.oneDecimal(early.cutoffMarginMs ?? 0)) ms)"
            } ?? ""
            let giveUp = early.finalistTimeoutMs.map { ", those qualified on their first answer giving up after \($0) ms per probe" } ?? ""
            lines.append("  early answer: cutoff \(ms(cutoff))\(rule); \(early.finalists) finalist(s) measured in full\(giveUp); --full measures every server")
        }
        if let sticky = report.sticky { lines.append("  sticky: \(sticky.reason)") }
        if let sweep = report.sweep, let reason = sweep.maxInFlightReason {
            lines.append("  in flight: at most \(sweep.effectiveMaxInFlight): \(reason)")
        }
        return (["explain: lower score wins; terms in ms of effective latency"] + lines).joined(separator: "\n")
    }

    /// `probe: no target answered (5 probed: 3 timeout, 2 unreachable)`.
    static func nothingReachable(_ report: ProbeReport) -> String {
        var counts: [String: Int] = [:]
        for entry in report.ranked { counts[entry.state, default: 0] += 1 }
        let detail = counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        return "probe: no target answered (\(report.ranked.count) probed: \(detail))"
    }

    /// How the table is laid out: the width to fit (`nil`: every column, as scripts read it) and
    /// whether states are coloured.
    struct Layout {
        var width: Int?
        var color: Bool

        /// On a terminal: its width (else `$COLUMNS`, else 80) and colour unless `NO_COLOR` is set
        /// or `TERM` is `dumb`. Not on a terminal: `$COLUMNS` when set, else every column; no colour.
        static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> Layout {
            let columns = environment["COLUMNS"].flatMap(Int.init).flatMap { $0 >= 20 ? $0 : nil }
            guard isatty(1) == 1 else { return Layout(width: columns, color: false) }
            var size = winsize()
            let measured = ioctl(1, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col >= 20 ? Int(size.ws_col) : nil
            let color = (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
            return Layout(width: measured ?? columns ?? 80, color: color)
        }
    }

    /// Every entry as an aligned table, best first. Fitted to `layout.width`: the columns that
    /// matter for a choice (rank, name, state, loss, median, p90, score) always, the others as they
    /// fit; a name too long is cut (with "…"), a number never.
    static func table(_ report: ProbeReport, layout: Layout = Layout(width: nil, color: false)) -> String {
        let showServers = report.ranked.contains { $0.server != nil }
        var header = ["#", "TARGET", "ADDRESS", "STATE", "METHOD", "RECV", "LOSS", "MIN", "MEDIAN", "P90", "MAX", "JITTER", "SCORE", "TIMING"]
        if showServers { header.insert("SERVER", at: 1) }
        var rows: [[String]] = []
        for entry in report.ranked {
            var row = [
                "\(entry.rank)", entry.target, entry.address ?? "-", entry.state, entry.method, "\(entry.received)/\(entry.sent)",
                percent(entry.loss), number(entry.rttMs?.min), number(entry.rttMs?.median), number(entry.rttMs?.p90),
                number(entry.rttMs?.max), number(entry.rttMs?.jitter), number(entry.score), entry.timing ?? "-",
            ]
            if showServers { row.insert(entry.server.map { "\($0.name) (\($0.provider))" } ?? entry.target, at: 1) }
            // Provider data never reaches the terminal raw: escaped before it is measured or cut,
            // so a cut (by grapheme) cannot leave an escape sequence open.
            rows.append(row.map(shown))
        }
        let numericNames: Set<String> = ["#", "RECV", "LOSS", "MIN", "MEDIAN", "P90", "MAX", "JITTER", "SCORE"]
        var widths = header.map(\.count)
        for row in rows { for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) } }
        // Which columns: all of them, or those that fit, in this order of importance.
        let name = showServers ? "SERVER" : "TARGET"
        var kept = Set(header.indices)
        var nameWidth = widths[header.firstIndex(of: name) ?? 1]
        if let width = layout.width {
            let required = ["#", name, "STATE", "LOSS", "MEDIAN", "P90", "SCORE"]
            let optional = ["JITTER", "METHOD", "RECV", "MIN", "MAX", "TIMING", "ADDRESS", "TARGET"].filter { $0 != name }
            kept = Set(required.compactMap { header.firstIndex(of: $0) })
            func used(_ columns: Set<Int>) -> Int {
                columns.reduce(0) { sum, column in sum + (header[column] == name ? nameWidth : widths[column]) } + 2 * (columns.count - 1)
            }
            // The name column gives way down to 12 characters before an optional column is dropped.
            let nameFloor = min(nameWidth, max(12, header.firstIndex(of: name).map { widths[$0] / 3 } ?? 12))
            for title in optional {
                guard let column = header.firstIndex(of: title) else { continue }
                var trial = kept
                trial.insert(column)
                let saved = nameWidth
                nameWidth = nameFloor
                let fits = used(trial) <= width
                nameWidth = saved
                if fits { kept = trial }
            }
            let spare = width - used(kept)
            if spare < 0 { nameWidth = max(4, nameWidth + spare) }
        }
        let columns = header.indices.filter { kept.contains($0) }
        func cut(_ text: String, _ limit: Int) -> String {
            text.count <= limit ? text : String(text.prefix(max(1, limit - 1))) + "…"
        }
        func paint(_ state: String, _ text: String) -> String {
            guard layout.color else { return text }
            let code: String
            switch state {
            case "open", "alive", "reply": code = "32"
            case "refused": code = "33"
            default: code = "31"
            }
            return "\u{1B}[\(code)m\(text)\u{1B}[0m"
        }
        let lines = ([header] + rows).enumerated().map { index, row in
            columns.map { column -> String in
                let isName = header[column] == name
                let cell = isName ? cut(row[column], nameWidth) : row[column]
                let width = isName ? nameWidth : widths[column]
                let pad = String(repeating: " ", count: max(0, width - cell.count))
                let aligned = numericNames.contains(header[column]) ? pad + cell : cell + pad
                return index > 0 && header[column] == "STATE" ? paint(row[column], aligned) : aligned
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        var text = lines.joined(separator: "\n")
        text += "\n(times in ms; \(report.ranked.count) targets in \(String(printf: "%.0f", report.elapsedMs)) ms)"
        return text
    }

    static func ms(_ value: Double) -> String { "\(number(value)) ms" }

    /// Outside text as a terminal may show it: control characters (ESC, BEL, CR, ...) escaped.
    static func shown(_ text: String) -> String { SafeText.escaped(text, limit: 4_000) }

    static func number(_ value: Double?) -> String {
        guard let value else { return "-" }
        return String(printf: value < 10 ? "%.3f" : value < 100 ? "%.2f" : "%.1f", value)
    }

    static func percent(_ loss: Double) -> String {
        loss == 0 ? "0%" : String(printf: "%.0f%%", loss * 100)
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
