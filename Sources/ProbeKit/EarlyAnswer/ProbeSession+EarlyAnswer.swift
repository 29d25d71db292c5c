import Prober
import ProviderFetch
package import Ranking

extension ProbeSession {
    /// The results present, in order, in an array sized once: `compactMap` grows its result by
    /// doubling, and over 10,000 results that is 5 MB where 3 MB do.
    static func present(_ results: [TargetResult?]) -> [TargetResult] {
        var present: [TargetResult] = []
        present.reserveCapacity(results.count)
        for case let result? in results { present.append(result) }
        return present
    }

    /// The best server, answered early: every target and server gets one cheap probe, those that
    /// cannot win are abandoned at the cutoff, and only the finalists, the incumbent
    /// (`prior.choice`) and servers whose recent history beats the cutoff get every sample.
    /// The report ranks everything: finalists on their full measurement, the rest on their one
    /// first-round sample (or as `pruned`, left out with the reason). Cancellation stops at once.
    package func best(targets: [ProbeTarget], servers: [Server] = [], errors: [ReportError] = [], prior: StickyState? = nil, sticky: StickyInput? = nil) async -> ProbeReport {
        let start = MonotonicInstant.now()
        let options = configuration.early
        let items = ProbeItems(explicit: targets, servers: servers, family: configuration.probe.family, matchesNames: !configuration.filter.excluded.isEmpty)
        let methods = configuration.method.kinds
        var all = items.targets
        let guardNote = await HandshakeTargets.guardLocalInterfaces(&all, methods: methods, anyway: configuration.handshakeAnyway)
        let plan = EarlyPlan(session: self, items: items)

        // One live sweep for the whole answer: the first round (one cheap probe each; the sweep keeps
        // the tightest cutoff the answers so far allow), and the finalists the plan names, measured
        // in full on the same reactor as they qualify (one in-flight limit, one token bucket).
        var firstOptions = configuration.probe
        firstOptions.samples = 1
        let firstRound = FirstRound { [plan, options] index, samples in
            plan.score(index, samples).map { UInt64((options.cutoff(forScore: $0) * 1_000_000).rounded(.up)) }
        }
        var rules = EarlyAnswerPlan(options: options, timeoutMilliseconds: configuration.probe.timeoutMilliseconds)
        var results = [TargetResult?](repeating: nil, count: all.count)
        var summary: SweepSummary?
        var finalMs = 0.0
        var firstMs = 0.0
        var firstDone = 0
        var leaderPass: Set<Int>?  // targets measured for the leader check, while it runs
        var finalistStart: [Int: MonotonicInstant] = [:]
        let (live, events) = ProbeEngine(options: firstOptions, handshakes: HandshakeTargets.codec).live(for: all, methods: methods, firstRound: firstRound)
        func perform(_ actions: [EarlyAnswerPlan.Action]) {
            for action in actions {
                switch action {
                case .measure(let target, let timeout):
                    guard let result = results[target], let address = result.address else { continue }
                    finalistStart[target] = MonotonicInstant.now()
                    live.measure([LiveSweep.Request(
                        tag: target, target: result.target, address: address, samples: configuration.probe.samples, timeoutMilliseconds: timeout)])
                case .drop(let target):
                    live.drop(tags: [target])
                case .finish:
                    leaderCheck()
                }
            }
        }
        func isIncumbent(_ result: TargetResult) -> Bool {
            guard let choice = prior?.choice, let address = result.address?.host else { return false }
            return choice == Self.candidateID(address: address, result: result)
        }
        // The leader must be measured in full before the answer: while the ranking's leader (and
        // those ranked above every fully measured server, 16 at a time) was not, measure them on
        // the same sweep. Each pass measures at least one more server, so this ends.
        func leaderCheck() {
            guard !Task.isCancelled else { live.close(); return }
            // The ranking alone (as indices), not a whole report: a pass over 10,000 servers costs
            // a sort, not 10,000 report entries.
            let known = Self.present(results)
            let (_, order) = ranking(known, items: items, preferICMP: MiddleboxCheck.suspected(known) != nil)
            let hasBest = order.indices.contains { order.scores[$0] != nil }
            // Those ranked above every server measured in full (a finalist, or a first round that
            // already was the full measurement), 16 at most.
            let ahead = order.indices.lazy
                .prefix { !measuredInFull(known[$0]) && !rules.finalists.contains(known[$0].index) && !(leaderPass?.contains(known[$0].index) ?? false) }
                .map { known[$0].index }.prefix(16)
            let chosen = Array(ahead.filter { results[$0]?.address != nil })
            guard hasBest, !chosen.isEmpty else {
                leaderPass = nil
                live.close()
                return
            }
            leaderPass = (leaderPass ?? []).union(chosen)
            pendingLeader = Set(chosen)
            for index in chosen {
                guard let result = results[index], let address = result.address else { continue }
                finalistStart[index] = MonotonicInstant.now()
                live.measure([LiveSweep.Request(tag: index, target: result.target, address: address, samples: configuration.probe.samples,
                                                timeoutMilliseconds: configuration.probe.timeoutMilliseconds)])
            }
        }
        var pendingLeader = Set<Int>()
        var pendingNames = 0
        var namesAbandoned = false
        for await batch in events {
            for event in batch {
                switch event {
                case .result(let result):
                    results[result.index] = result
                    firstDone += 1
                    perform(rules.firstRoundAnswer(EarlyAnswerPlan.Answer(
                        target: result.index, score: plan.score(result.index, result.samples), resolved: result.address != nil,
                        eligible: plan.eligible(result.index), incumbent: isIncumbent(result),
                        typicalScore: prior.flatMap { prior in
                            result.address.flatMap { prior.typicalScore(of: Self.candidateID(address: $0.host, result: result)) }
                        })))
                case .final(let fresh):
                    results[fresh.index] = Self.merged(fresh, into: results[fresh.index])
                    if let began = finalistStart[fresh.index] { finalMs = max(finalMs, MonotonicInstant.now().milliseconds(since: began)) }
                    if pendingLeader.remove(fresh.index) != nil {
                        if pendingLeader.isEmpty { leaderCheck() }
                    } else {
                        perform(rules.finalistResult(fresh.index))
                    }
                case .summary(let final):
                    summary = final
                case .resolving(let pending):
                    pendingNames = pending
                }
            }
            // The round could end but for names still resolving: they are reported unresolved.
            if !namesAbandoned, rules.abandonsNames(pending: pendingNames, answered: firstDone, total: all.count) {
                namesAbandoned = true
                live.abandonNames()
            }
            if firstDone == all.count, !rules.firstRoundDone {
                firstMs = MonotonicInstant.now().milliseconds(since: start)
                perform(rules.firstRoundComplete())
            }
            progress?(ProbeProgress(phase: .probing, done: firstDone, total: all.count))
        }
        if Task.isCancelled { live.close() }
        let cutoff = rules.cutoff
        var finalists = rules.finalists.union(leaderPass ?? [])
        var probes = 0
        let sweep = summary ?? .cancelled(targets: all.count)
        // Timeouts (not pruned probes: those are only slower) across many targets: re-probe slower.
        let paced = await repaced(Self.present(results), summary: sweep, methods: methods)
        var finished = paced.results
        let pruned = sweep.pruned
        probes += sweep.probesStarted + paced.probes
        // A remote finalist whose handshake is far faster than its ping may be a local proxy or firewall
        // answering: knock once on a few more servers; if they too answer at once, the report notes a
        // middlebox and ranks on ICMP (see ``MiddleboxCheck/suspected(_:)``).
        if methods.isSuperset(of: [.tcp, .icmp]), !Task.isCancelled, let others = Self.middleboxCheck(finished, finalists: finalists) {
            var knock = configuration.probe
            knock.samples = 1
            let check = await ProbeEngine(options: knock).probe(others.map { Self.numeric(finished[$0]) }, methods: [.tcp])
            probes += check.summary.probesStarted
            for fresh in check.results { finished[others[fresh.index]].tcp = fresh.tcp }
        }

        // The leader must have been measured in full: a one-sample server (answering ping only,
        // or a finalist whose full figures came out worse than its first probe) may lead, and a
        // server whose port was given wins only once that port answered. While the leader was not
        // measured in full, measure it and the others ranked above every fully measured server
        // (at most 16 at once, in one sweep). Each pass measures at least one more server, so
        // this ends; it never returns a server a full sweep would rank below another.
        var rankMs = 0.0
        func ranked() -> ProbeReport {
            let began = MonotonicInstant.now()
            defer { rankMs += MonotonicInstant.now().milliseconds(since: began) }
            return finish(finished, summary: sweep, errors: errors, start: start, items: items, sticky: sticky)
        }
        var report = ranked()
        while !Task.isCancelled {
            let ahead = report.ranked.prefix { entry in
                entry.inputIndex.map { !finalists.contains($0) && !(results[$0].map(measuredInFull) ?? false) } ?? false
            }.prefix(16)
            let positions: [Int] = ahead.compactMap { entry in
                finished.firstIndex { $0.index == entry.inputIndex && $0.address != nil }
            }
            guard report.best != nil, !positions.isEmpty else { break }
            for position in positions { finalists.insert(finished[position].index) }
            let began = MonotonicInstant.now()
            let extra = await ProbeEngine(options: configuration.probe, handshakes: HandshakeTargets.codec).probe(positions.map { Self.numeric(finished[$0]) }, methods: methods)
            for fresh in extra.results { finished[positions[fresh.index]] = Self.merged(fresh, into: finished[positions[fresh.index]]) }
            probes += extra.summary.probesStarted
            finalMs += MonotonicInstant.now().milliseconds(since: began)
            report = ranked()
        }
        if let note = paced.note { report.notes.append(note) }
        if let guardNote { report.notes.append(guardNote) }
        let totalMs = MonotonicInstant.now().milliseconds(since: start)
        report.sweep?.probesStarted = probes
        report.sweep?.cancelled = sweep.cancelled || Task.isCancelled
        // Pruned servers are known to be slower than the cutoff allowed: left out with that reason.
        for index in report.ranked.indices where report.ranked[index].state == TargetState.pruned.rawValue {
            report.ranked[index].excluded = "no answer within the \(EarlyPlan.format(cutoff)) ms cutoff of the first round: "
                + "slower than the best; --full measures every server"
        }
        report.durations = RunDurations(probeMs: ReportEntry.ms(totalMs - rankMs), rankMs: ReportEntry.ms(rankMs))
        report.early = EarlyAnswerSummary(
            firstRoundMs: ReportEntry.ms(firstMs), finalRoundMs: ReportEntry.ms(finalMs), cutoffMs: cutoff.map(ReportEntry.ms),
            finalists: finalists.count, pruned: pruned, probes: probes,
            cutoffFactor: max(0, options.cutoffFactor), cutoffMarginMs: max(0, options.cutoffMarginMilliseconds),
            finalistTimeoutMs: cutoff.map { EarlyAnswerPlan.finalistTimeout(timeout: configuration.probe.timeoutMilliseconds, cutoff: $0) })
        return report
    }

    /// Whether a first-round result already is a full measurement: one method, and the first
    /// round's probes were of it and as many as the samples asked for (`--method tcp --samples 1`).
    /// Such a server needs no finalist's pass: measuring it again would only redraw its noise.
    func measuredInFull(_ result: TargetResult) -> Bool {
        let kinds = configuration.method.kinds
        guard kinds.count == 1, let kind = kinds.first else { return false }
        let measurement = kind == .tcp ? result.tcp : kind == .icmp ? result.icmp : result.handshake
        return (measurement?.samples.count ?? 0) >= max(1, configuration.probe.samples)
    }

    /// Up to 8 more remote servers to knock on (positions in `results`) when a remote finalist
    /// completed its handshake in under 1 ms though its ping took over twice as long; else `nil`.
    static func middleboxCheck(_ results: [TargetResult], finalists: Set<Int>) -> [Int]? {
        let suspicious = results.contains { result in
            guard finalists.contains(result.index), let address = result.address, !address.isLoopback,
                  let tcp = result.tcp?.rtt?.median, let icmp = result.icmp?.rtt?.median else { return false }
            return tcp < 1 && icmp > 2 * tcp + 0.5
        }
        guard suspicious else { return nil }
        let others = results.indices.filter { position in
            let result = results[position]
            return !finalists.contains(result.index) && result.address.map { !$0.isLoopback } == true && result.tcp == nil
                && result.target.portKnown
        }
        return others.count >= 4 ? Array(others.prefix(8)) : nil
    }

    /// The target of a resolved result, by its address: the final round needs no second lookup.
    static func numeric(_ result: TargetResult) -> ProbeTarget {
        var target = ProbeTarget(host: result.address?.host ?? result.target.host, port: result.target.port, portKnown: result.target.portKnown)
        target.handshake = result.target.handshake
        return target
    }

    /// A final-round result in the place of the first round's, keeping the target as given.
    static func merged(_ fresh: TargetResult, into first: TargetResult?) -> TargetResult {
        guard let first else { return fresh }
        var merged = fresh
        merged.index = first.index
        merged.target = first.target
        merged.resolveMilliseconds = first.resolveMilliseconds
        return merged
    }

    /// The identity Ranking and the state file know a server by: `address:port` (`[v6]:port`).
    static func candidateID(address: String, result: TargetResult) -> String {
        result.address?.family == .inet6 ? "[\(address)]:\(result.target.port)" : "\(address):\(result.target.port)"
    }

    /// Ranks `results` into the final report with the sweep's figures.
    func finish(
        _ results: [TargetResult], summary: SweepSummary, errors: [ReportError], start: MonotonicInstant, items: ProbeItems, sticky: StickyInput?
    ) -> ProbeReport {
        var report = report(for: results, errors: errors, start: start, items: items, sticky: sticky)
        var summary = summary
        summary.resolveMilliseconds = ReportEntry.ms(summary.resolveMilliseconds)
        summary.probeMilliseconds = ReportEntry.ms(summary.probeMilliseconds)
        report.sweep = summary
        return report
    }
}

/// What the first round's cutoff needs to know of each target before any RTT: whether it may win
/// at all (the filters) and the score terms that do not depend on RTT (load, WireGuard slots).
struct EarlyPlan: Sendable {
    /// Per target index: the capacity terms (load, slots) before their bound, in ms; `nil` when
    /// the filters (or no free WireGuard slot) leave it out.
    let extraMilliseconds: [Double?]
    /// The weights, for the bound on capacity terms at a given RTT.
    let weights: RankingWeights

    init(session: ProbeSession, items: ProbeItems) {
        let weights = session.configuration.ranking
        self.weights = weights
        let filter = session.configuration.filter
        // The candidates the ranking starts from (built once, in ``ProbeItems``), with no RTT yet.
        let candidates = items.candidates
        let loads = candidates.withUnsafeBufferPointer { CapacityRules.providerLoads($0) }
        extraMilliseconds = candidates.map { candidate in
            guard CapacityRules.exclusion(candidate) == nil, filter.exclusion(candidate) == nil else { return nil }
            return CapacityRules.uncapped(candidate, loads: loads[candidate.provider ?? ""], weights: weights)
        }
    }

    /// Whether the filters let target `index` win at all.
    func eligible(_ index: Int) -> Bool { index < extraMilliseconds.count && extraMilliseconds[index] != nil }

    /// The first-round score of target `index` from its samples (its fastest answer plus the
    /// capacity terms, bounded at that RTT as the ranking bounds them); `nil` when it did not
    /// answer or may not win.
    func score(_ index: Int, _ samples: [ProbeSample]) -> Double? {
        guard index < extraMilliseconds.count, let extra = extraMilliseconds[index],
              let rtt = samples.lazy.compactMap({ $0.outcome.answered ? $0.rttMilliseconds : nil }).min()
        else { return nil }
        return rtt + min(extra, CapacityRules.cap(median: rtt, weights: weights))
    }

    static func format(_ value: Double?) -> String { value.map(DecimalText.oneDecimal) ?? "?" }
}
