package import Prober

/// Pacing that watches itself: when probes to many targets time out at once, the likely cause is
/// probe's own burst (a saturated uplink, a full NAT table), not the servers. Those targets are
/// probed again, slower, before they are called lost; the report says what happened.
package struct PacingCheck: Hashable, Sendable {
    /// At least this many targets with timed-out probes...
    package static let minimumTargets = 16
    /// ...and at least this share of the targets probed.
    package static let minimumShare = 0.25

    /// The positions (in `results`) of targets whose ranked measurement had a timed-out probe,
    /// when they are many enough to suspect the local link; `nil` otherwise. Only the measurement
    /// the ranking uses counts: a host that ignores ping but answers TCP is not losing anything.
    package static func suspects(_ results: [TargetResult]) -> [Int]? {
        var probed = 0
        var lossy: [Int] = []
        for (position, result) in results.enumerated() where result.address != nil {
            probed += 1
            if timeouts(result) > 0 { lossy.append(position) }
        }
        guard lossy.count >= minimumTargets, Double(lossy.count) >= minimumShare * Double(probed) else { return nil }
        return lossy
    }

    /// The slower pace for the re-probe: a quarter of the rate the sweep reached (or was capped at),
    /// at least 100 per second, and a quarter of its sockets in flight, at least 16.
    package static func slower(_ options: ProbeOptions, summary: SweepSummary) -> ProbeOptions {
        var slower = options
        let seconds = max(0.001, summary.probeMilliseconds / 1_000)
        let reached = Double(summary.probesStarted) / seconds
        let before = options.rate > 0 ? min(Double(options.rate), reached) : reached
        slower.rate = max(100, Int(before / 4))
        slower.maxInFlight = max(16, min(options.maxInFlight, summary.effectiveMaxInFlight) / 4)
        slower.growsInFlight = false  // slower means a hard cap this time
        return slower
    }

    /// How many probes of the measurement the ranking uses timed out.
    static func timeouts(_ result: TargetResult) -> Int {
        result.samples.reduce(0) { $0 + ($1.outcome == .timeout ? 1 : 0) }
    }
}

extension ProbeSession {
    /// Re-probes, slower, the targets whose probes timed out when they are many (see ``PacingCheck``);
    /// at most twice, each time at a quarter of the pace. Returns the results (a re-probe replaces a
    /// result when it lost no more), the probes sent, and a note for the report.
    func repaced(_ results: consuming [TargetResult], summary: SweepSummary, methods: Set<ProbeKind>) async -> (results: [TargetResult], probes: Int, note: String?) {
        var options = configuration.probe
        var summary = summary
        var probes = 0
        var notes: [String] = []
        for _ in 0..<2 where !Task.isCancelled {
            guard let lossy = PacingCheck.suspects(results) else { break }
            let slower = PacingCheck.slower(options, summary: summary)
            let before = Int(Double(summary.probesStarted) / max(0.001, summary.probeMilliseconds / 1_000))
            let again = await ProbeEngine(options: slower, handshakes: HandshakeTargets.codec).probe(lossy.map { Self.numeric(results[$0]) }, methods: methods)
            probes += again.summary.probesStarted
            var recovered = 0
            for fresh in again.results {
                let position = lossy[fresh.index]
                let old = PacingCheck.timeouts(results[position]), new = PacingCheck.timeouts(fresh)
                guard new <= old else { continue }
                if new < old { recovered += 1 }
                results[position] = Self.merged(fresh, into: results[position])
            }
            let share = "\(lossy.count) of \(results.count) targets"
            if recovered * 2 >= lossy.count {
                notes.append("pacing: probes to \(share) timed out at about \(before)/s; re-probed at \(slower.rate)/s, \(recovered) "
                    + "answered better: probe's own burst was saturating the local link or NAT table (a lower --rate avoids it)")
            } else {
                notes.append("pacing: probes to \(share) timed out; re-probed at \(slower.rate)/s and \(recovered) answered better: "
                    + "the servers are losing packets, not the local link")
                break
            }
            options = slower
            summary = again.summary
        }
        return (results, probes, notes.isEmpty ? nil : notes.joined(separator: "; "))
    }
}
