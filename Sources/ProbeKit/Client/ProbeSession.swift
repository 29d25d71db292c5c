import Prober
package import ProviderFetch
package import Ranking

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
            options.rate = spread.rate(probes: all.count * options.samples * kinds, cap: options.rate)
            options.maxInFlight = spread.inFlight(rate: options.rate, timeoutMilliseconds: options.timeoutMilliseconds, current: options.maxInFlight)
            options.growsInFlight = false  // the spread sized it for its rate already
        }
        let sweep = await ProbeEngine(options: options, handshakes: HandshakeTargets.codec).probe(all, methods: configuration.method.kinds) { [progress] done in
            progress?(ProbeProgress(phase: .probing, done: done, total: all.count))
        }
        let paced = await repaced(sweep.results, summary: sweep.summary, methods: configuration.method.kinds)
        let probed = MonotonicInstant.now()
        var report = report(for: paced.results, errors: errors, start: start, items: items, sticky: sticky)
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

    /// Ranks finished results into a report (pure apart from reading the clock for `elapsed_ms`).
    /// With `sticky`, the choice of earlier runs is weighed in the same step (``Stickiness``): `best`
    /// becomes the kept incumbent or the challenger that won clearly.
    func report(
        for results: [TargetResult], errors: [ReportError], start: MonotonicInstant, items: ProbeItems, sticky: StickyInput? = nil
    ) -> ProbeReport {
        var allErrors = errors
        for result in results {
            if let reason = result.resolveError {
                allErrors.append(ReportError(source: result.target.text, message: reason))
            }
        }
        // Many remote servers completing handshakes in nearly the same sub-millisecond time: a local
        // proxy or firewall is answering for them, so their TCP RTTs say nothing; rank on ICMP.
        var notes: [String] = []
        let middlebox = Self.middleboxSuspected(results)
        if let count = middlebox {
            notes.append("\(count) servers completed TCP handshakes in under 1 ms, within 0.5 ms of each other: a local proxy "
                + "or firewall is answering for them; ranking on ICMP where it answered")
        }
        let unmeasurable = results.filter { $0.state == .unmeasurable }.count
        if unmeasurable > 0 {
            notes.append("\(unmeasurable) server(s) list no port and TCP alone was used (--method tcp, or no ICMP permission): "
                + "not measurable by TCP, left unranked rather than knocked at a guessed port; ICMP would measure them")
        }
        // A result's figures for its candidate, and again for its entry: made twice rather than kept
        // for every target in between (a 10,000-target report would hold 3 MB of them).
        let preferICMP = middlebox != nil
        // The ranking as indices. Only the candidates' identities outlive it: they are freed before
        // the entries are made.
        let (order, decision, identities) = { () -> (RankOrder, StickyDecision?, [String]) in
            let (candidates, order) = ranking(results, items: items, preferICMP: preferICMP)
            // Stickiness on the ranking itself, in the same step (not on the report read back).
            let decision = sticky.map { Stickiness.decide(order: order, candidates: candidates, state: $0.state, policy: $0.policy) }
            return (order, decision, candidates.map(\.id))
        }()
        var entries: [ReportEntry] = []
        entries.reserveCapacity(order.indices.count)
        for (position, index) in order.indices.enumerated() {
            var entry = ReportEntry(
                figures: ResultFigures(results[index], preferICMP: preferICMP), rank: position + 1, score: order.scores[index],
                terms: order.terms[index], excluded: order.exclusions[index], candidateID: identities[index], method: configuration.method)
            if let server = items.server(at: results[index].index) { entry.server = server }  // a provider's server
            entries.append(entry)
        }
        var report = ProbeReport(
            best: entries.first { $0.score != nil }, ranked: entries, errors: allErrors,
            elapsedMs: ReportEntry.ms(MonotonicInstant.now().milliseconds(since: start)))
        report.notes = notes
        if let decision {
            report.apply(decision)
            report.stickyDecision = decision
        }
        return report
    }

    /// The candidates of `results` and their ranking as indices (no report entry made): what the
    /// report is built from, and all the early answer's leader check needs.
    func ranking(_ results: [TargetResult], items: ProbeItems, preferICMP: Bool) -> (candidates: [Candidate], order: RankOrder) {
        let candidates = results.map { items.candidate(at: $0.index, with: ResultFigures($0, preferICMP: preferICMP)) }
        return (candidates, Ranker.order(candidates, weights: configuration.ranking, filter: configuration.filter))
    }

    /// The probe target of a provider's server: its host and port; without a known port it is
    /// pinged only (or, with `--method tcp`, knocked on at 443). A UDP service (WireGuard, OpenVPN
    /// over UDP, hysteria2, tuic) is never TCP-knocked at its UDP port: its own handshake measures
    /// it where its keys are known, else ICMP measures its host.
    package static func target(_ server: Server) -> ProbeTarget {
        let port = BundleEntry.isUDP(protocol: server.protocol, transport: server.transport) ? nil : server.port.flatMap { UInt16(exactly: $0) }
        let service = HandshakeTargets.service(for: server)
        // A service its handshake can reach is named by its own port, whichever method runs.
        let text = service.map { ProbeTarget(host: server.host, port: $0.port).text }
        var target = ProbeTarget(host: server.host, port: port ?? ProbeTarget.defaultPort, text: text, portKnown: port != nil)
        target.handshake = service
        return target
    }

    /// Fetches every configured provider at once. Servers of providers whose account is
    /// expired, suspended or out of traffic are left out, with that reason among the errors.
    package static func fetch(
        _ providers: ProviderConfiguration, cache: TokenCache, baseDirectory: String, progress: (@Sendable (ProbeProgress) -> Void)? = nil
    ) async -> (servers: [Server], outcomes: [ProviderOutcome], errors: [ReportError]) {
        let deadline = (providers.providers.map(\.timeoutSeconds).max() ?? 10) * Double(HTTPClient.maximumRetries + 1) + 5
        let fetcher = ProviderFetcher(configuration: providers, cache: cache, baseDirectory: baseDirectory)
        let outcomes = await fetcher.fetchAll(deadline: .milliseconds(Int64(deadline * 1_000))) { done, total in
            progress?(ProbeProgress(phase: .fetching, done: done, total: total))
        }
        var servers: [Server] = []
        var errors: [ReportError] = []
        for outcome in outcomes {
            if let failure = outcome.failure {
                // The source names the provider: the reason alone.
                errors.append(ReportError(source: outcome.provider, message: failure.reason))
            } else if let reason = outcome.exclusion {
                errors.append(ReportError(source: outcome.provider, message: "left out: \(reason)"))
            } else {
                servers += outcome.servers
                errors += outcome.problems.map { ReportError(source: outcome.provider, message: $0) }
            }
        }
        return (servers, outcomes, errors)
    }

    /// What Ranking needs to know of a probe result (and of the provider's server it came from).
    /// A candidate with a provider's server's figures: its country as an ISO code, its load as
    /// reported and what kind of figure it is (see ``CapacityRules``).
    static func candidate(id: String, status: Candidate.Status, median: Double?, server: Server?, names: [String]) -> Candidate {
        var names = names
        if !names.isEmpty, let server { names += [server.name, server.id].compactMap { $0 } }
        return Candidate(
            id: id, status: status, medianMilliseconds: median, loss: 0, provider: server?.provider, country: server?.country,
            protocol: server?.protocol, wgAvailableSlots: server?.wgAvailableSlots, wgSlots: server?.wgSlots, load: server?.load,
            loadKind: server?.loadKind.flatMap(Candidate.LoadKind.init(rawValue:)),
            names: names)
    }

    /// How many remote (non-loopback) servers answered TCP in under 1 ms, within 0.5 ms of each
    /// other, when they are at least five and most of those whose port was open; else `nil`.
    static func middleboxSuspected(_ results: [TargetResult]) -> Int? {
        let remote = results.compactMap { result -> Double? in
            guard let address = result.address, !address.isLoopback, let tcp = result.tcp, tcp.state == .open else { return nil }
            return tcp.rtt?.median
        }
        let fast = remote.filter { $0 < 1 }
        guard fast.count >= 5, Double(fast.count) >= 0.8 * Double(remote.count),
              let low = fast.min(), let high = fast.max(), high - low < 0.5
        else { return nil }
        return fast.count
    }
}

/// A result's figures, computed once (statistics sort the samples; addresses are formatted).
struct ResultFigures {
    let result: TargetResult
    let primary: Measurement?
    let state: TargetState
    let rtt: RTTStatistics?
    let loss: Double
    let addressText: String?

    init(_ result: TargetResult, preferICMP: Bool = false) {
        self.result = result
        // Behind a middlebox the handshake says nothing: rank on ICMP where it answered, and a server
        // whose ping was pruned by the early answer is known to be slower than the cutoff, whatever its TCP says.
        let useICMP = preferICMP && (result.icmp?.reachable == true || result.icmp?.state == .pruned)
        primary = useICMP ? result.icmp : result.primary
        state = result.state
        rtt = primary?.rtt
        loss = primary?.loss ?? 1
        addressText = result.address?.host
    }
}

/// The choice of earlier runs and the rule for replacing it, for the ranking step.
package struct StickyInput: Sendable {
    /// The state file's contents.
    package var state: StickyState
    /// When a challenger replaces the incumbent.
    package var policy: StickyPolicy

    package init(state: StickyState, policy: StickyPolicy) {
        self.state = state
        self.policy = policy
    }
}
