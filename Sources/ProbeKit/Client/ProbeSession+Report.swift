import Prober
import ProviderFetch
import Ranking

/// From results to the report: the candidates, their ranking (with stickiness weighed in the same
/// step), the middlebox note, and the entries.
extension ProbeSession {
    /// Ranks finished results into a report (pure apart from reading the clock for `elapsed_ms`).
    /// With `sticky`, the choice of earlier runs is weighed in the same step (``Stickiness``): `best`
    /// becomes the kept incumbent or the challenger that won clearly.
    /// `handedOver`: the caller gives up its only reference to `results` (`consume`), so each
    /// result's samples are freed as its entry is made and a wide report does not hold both sets
    /// at its peak. A caller that keeps its results (the early answer ranks them again) passes
    /// `false`: freeing would copy the whole array to free nothing.
    func report(
        for results: consuming [TargetResult], handedOver: Bool = false, errors: [ReportError], start: MonotonicInstant, items: ProbeItems,
        sticky: StickyInput? = nil
    ) -> ProbeReport {
        var results = results  // moved, not copied
        var allErrors = errors
        for result in results {
            if let reason = result.resolveError {
                allErrors.append(ReportError(source: result.target.text, message: reason))
            }
        }
        // Many remote servers completing handshakes in nearly the same sub-millisecond time: a local
        // proxy or firewall is answering for them, so their TCP RTTs say nothing; rank on ICMP.
        var notes: [String] = []
        let middlebox = MiddleboxCheck.suspected(results)
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
            if handedOver {
                // Its samples are the entry's now (0.8 MB of 10,000 results' arrays).
                results[index].tcp = nil
                results[index].icmp = nil
                results[index].handshake = nil
            }
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
}
