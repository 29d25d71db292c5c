public import Prober
import Ranking

/// The one entry point the CLI and an orchestrator use: probe targets, rank them, report.
///
/// ```swift
/// import ProbeKit
/// let session = ProbeSession(configuration: ProbeConfiguration())
/// let report = await session.run(targets: [try ProbeTarget(parsing: "vpn1.example:443")])
/// if let best = report.best { print("connect to", best.target) }
/// ```
public struct ProbeSession: Sendable {
    /// How runs go.
    public var configuration: ProbeConfiguration

    /// A session with this configuration.
    public init(configuration: ProbeConfiguration = ProbeConfiguration()) {
        self.configuration = configuration
    }

    /// Probes every target, ranks them and returns the report. `errors` (bad input found while
    /// reading targets) are carried into the report. Cancellation stops probing at once and
    /// ranks what was measured.
    public func run(targets: [ProbeTarget], errors: [ReportError] = []) async -> ProbeReport {
        let start = MonotonicInstant.now()
        let engine = ProbeEngine(options: configuration.probe)
        let sweep = await engine.probe(targets, methods: configuration.method.kinds)
        var report = report(for: sweep.results, errors: errors, start: start)
        var summary = sweep.summary
        summary.resolveMilliseconds = ReportEntry.ms(summary.resolveMilliseconds)
        summary.probeMilliseconds = ReportEntry.ms(summary.probeMilliseconds)
        report.sweep = summary
        return report
    }

    /// Ranks finished results into a report (pure apart from reading the clock for `elapsed_ms`).
    func report(for results: [TargetResult], errors: [ReportError], start: MonotonicInstant) -> ProbeReport {
        var allErrors = errors
        for result in results {
            if let reason = result.resolveError {
                allErrors.append(ReportError(source: result.target.text, message: reason))
            }
        }
        let candidates = results.map(Self.candidate)
        let ranked = Ranker.rank(candidates, weights: configuration.ranking)
        let entries = ranked.map {
            ReportEntry(result: results[$0.inputIndex], ranked: $0, method: configuration.method)
        }
        let best = entries.first { $0.score != nil }
        return ProbeReport(
            best: best, ranked: entries, errors: allErrors,
            elapsedMs: ReportEntry.ms(MonotonicInstant.now().milliseconds(since: start)))
    }

    /// What Ranking needs to know of a probe result.
    static func candidate(_ result: TargetResult) -> Candidate {
        let status: Candidate.Status
        switch result.state {
        case .open, .alive: status = .up
        case .refused: status = .closed
        default: status = .down
        }
        let rtt = result.rtt
        return Candidate(
            id: result.address?.description ?? result.target.text, status: status,
            medianMilliseconds: rtt?.median, p90Milliseconds: rtt?.p90, jitterMilliseconds: rtt?.jitter,
            loss: result.loss)
    }
}
