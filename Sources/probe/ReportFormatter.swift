import Foundation
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
        if let server = entry.server, server.port == nil { return server.host }
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
            var line = "  \(position + 1). \(name(entry)): score \(ms(score)) = \(terms(t))"
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
        for entry in report.ranked where entry.excluded == nil && entry.score == nil {
            lines.append("  no answer: \(name(entry)) (\(entry.state))")
        }
        if let early = report.early, let cutoff = early.cutoffMs {
            lines.append("  early answer: cutoff \(ms(cutoff)) (1.5 × the best first answer + 5 ms); \(early.finalists) finalist(s) measured in full, "
                + "those qualified on their first answer giving up after \(ms(Double(min(1_000_000, Int(max(30, 3 * cutoff).rounded(.up)))))) per probe "
                + "(or the --timeout, if shorter); --full measures every server")
        }
        if let sticky = report.sticky { lines.append("  sticky: \(sticky.reason)") }
        return (["explain: lower score wins; terms in ms of effective latency"] + lines).joined(separator: "\n")
    }

    /// `probe: no target answered (5 probed: 3 timeout, 2 unreachable)`.
    static func nothingReachable(_ report: ProbeReport) -> String {
        var counts: [String: Int] = [:]
        for entry in report.ranked { counts[entry.state, default: 0] += 1 }
        let detail = counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        return "probe: no target answered (\(report.ranked.count) probed: \(detail))"
    }

    /// Every entry as an aligned table, best first.
    static func table(_ report: ProbeReport) -> String {
        let showServers = report.ranked.contains { $0.server != nil }
        var header = ["#", "TARGET", "ADDRESS", "STATE", "METHOD", "RECV", "LOSS", "MIN", "MEDIAN", "P90", "MAX", "JITTER", "SCORE", "TIMING"]
        if showServers { header.insert("SERVER", at: 1) }
        var rows = [header]
        for entry in report.ranked {
            var row = [
                "\(entry.rank)", entry.target, entry.address ?? "-", entry.state, entry.method, "\(entry.received)/\(entry.sent)",
                percent(entry.loss), number(entry.rttMs?.min), number(entry.rttMs?.median), number(entry.rttMs?.p90),
                number(entry.rttMs?.max), number(entry.rttMs?.jitter), number(entry.score), entry.timing ?? "-",
            ]
            if showServers { row.insert(entry.server.map { "\($0.name) (\($0.provider))" } ?? "-", at: 1) }
            rows.append(row)
        }
        let numericNames: Set<String> = ["#", "RECV", "LOSS", "MIN", "MEDIAN", "P90", "MAX", "JITTER", "SCORE"]
        let numeric = Set(header.indices.filter { numericNames.contains(header[$0]) })
        var widths = Array(repeating: 0, count: header.count)
        for row in rows { for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) } }
        let lines = rows.map { row in
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return numeric.contains(column) ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        var text = lines.joined(separator: "\n")
        text += "\n(times in ms; \(report.ranked.count) targets in \(String(format: "%.0f", report.elapsedMs)) ms)"
        return text
    }

    static func ms(_ value: Double) -> String { "\(number(value)) ms" }

    static func number(_ value: Double?) -> String {
        guard let value else { return "-" }
        return String(format: value < 10 ? "%.3f" : value < 100 ? "%.2f" : "%.1f", value)
    }

    static func percent(_ loss: Double) -> String {
        loss == 0 ? "0%" : String(format: "%.0f%%", loss * 100)
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
