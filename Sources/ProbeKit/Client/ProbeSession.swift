import Prober
import ProviderFetch
import Ranking

/// The one entry point the CLI and an orchestrator use: probe targets, rank them, report.
///
/// ```swift
/// import ProbeKit
/// let session = ProbeSession(configuration: ProbeConfiguration())
/// let report = await session.run(targets: [try ProbeTarget(parsing: "vpn1.example:443")])
/// if let best = report.best { print("connect to", best.target) }
/// ```
package struct ProbeSession: Sendable {
    /// How runs go.
    package var configuration: ProbeConfiguration
    /// Called as targets become final (on any thread; keep it cheap).
    package var progress: (@Sendable (ProbeProgress) -> Void)?

    /// Spreads the probe starts of ``run(targets:servers:errors:sticky:)`` over a window (`probe serve`).
    package var spread: ProbeSpread?

    /// A session with this configuration.
    package init(configuration: ProbeConfiguration = ProbeConfiguration(), progress: (@Sendable (ProbeProgress) -> Void)? = nil) {
        var configuration = configuration
        // Countries as users type them (`de`, `Germany`, `🇩🇪`) match servers by ISO code.
        configuration.filter.countries = configuration.filter.countries.map(CountryCode.code)
        self.configuration = configuration
        self.progress = progress
    }

    /// Probes every target, ranks them and returns the report. `errors` (bad input found while
    /// reading targets) are carried into the report. Cancellation stops probing at once and
    /// ranks what was measured.
    package func run(targets: [ProbeTarget], servers: [Server] = [], errors: [ReportError] = [], sticky: StickyInput? = nil) async -> ProbeReport {
        let start = MonotonicInstant.now()
        let items = ProbeItems(explicit: targets, servers: servers, family: configuration.probe.family, matchesNames: !configuration.filter.excluded.isEmpty)
        var guarded = items.targets
        let guardNote = await HandshakeTargets.guardLocalInterfaces(&guarded, methods: configuration.method.kinds, anyway: configuration.handshakeAnyway)
        let all = guarded
        var options = configuration.probe
        if let spread {
            // A target gets TCP and ICMP jobs, or its handshake alone: the handshake kinds are not extra probes.
            let kinds = max(1, configuration.method.kinds.filter { !$0.isHandshake }.count)
            options = spread.fit(options, probes: all.count * options.samples * kinds)
        }
        var sweep = await ProbeEngine(options: options, handshakes: HandshakeTargets.codec).probe(all, methods: configuration.method.kinds) { [progress] done in
            progress?(ProbeProgress(phase: .probing, done: done, total: all.count))
        }
        // The results are handed on, never shared: the report frees each one's samples as it makes
        // its entry, which would copy all of them if a second reference were left here.
        var swept: [TargetResult] = []
        swap(&swept, &sweep.results)
        var paced = await repaced(consume swept, summary: sweep.summary, methods: configuration.method.kinds)
        var results: [TargetResult] = []
        swap(&results, &paced.results)
        let probed = MonotonicInstant.now()
        var report = report(for: consume results, handedOver: true, errors: errors, start: start, items: items, sticky: sticky)
        report.durations = RunDurations(
            probeMs: ReportEntry.ms(probed.milliseconds(since: start)), rankMs: ReportEntry.ms(MonotonicInstant.now().milliseconds(since: probed)))
        if let note = paced.note { report.notes.append(note) }
        if let guardNote { report.notes.append(guardNote) }
        var summary = sweep.summary
        summary.probesStarted += paced.probes
        summary.resolveMilliseconds = ReportEntry.ms(summary.resolveMilliseconds)
        summary.probeMilliseconds = ReportEntry.ms(summary.probeMilliseconds)
        report.sweep = summary
        return report
    }
}
