public import Prober
public import ProviderFetch
public import Ranking

extension ProbeSession {
    /// The best server, answered early: every target and server gets one cheap probe, those that
    /// cannot win are abandoned at the cutoff, and only the finalists, the incumbent
    /// (`prior.choice`) and servers whose recent history beats the cutoff get every sample.
    /// The report ranks everything: finalists on their full measurement, the rest on their one
    /// first-round sample (or as `pruned`, left out with the reason). Cancellation stops at once.
    public func best(targets: [ProbeTarget], servers: [Server] = [], errors: [ReportError] = [], prior: StickyState? = nil) async -> ProbeReport {
        let start = MonotonicInstant.now()
        let options = configuration.early
        let all = targets + servers.map(Self.target)
        let plan = EarlyPlan(session: self, targets: targets, servers: servers)
        let methods = configuration.method.kinds

        // The first round: one cheap probe each; the sweep keeps the tightest cutoff the answers
        // so far allow. A target that answers within the cutoff in force is a finalist at once:
        // its full measurement starts while the first round goes on.
        var firstOptions = configuration.probe
        firstOptions.samples = 1
        let firstRound = FirstRound { [plan, options] index, samples in
            plan.score(index, samples).map { UInt64((options.cutoff(forScore: $0) * 1_000_000).rounded(.up)) }
        }
        var results = [TargetResult?](repeating: nil, count: all.count)
        var summary: SweepSummary?
        var cutoff: Double?
        var finalists = Set<Int>()  // target indices
        var launchScores: [Int: Double] = [:]  // first-round score of each finalist launched on its score
        var bestLaunched = Double.infinity
        let drops = FinalistDrops()
        var finalMs = 0.0
        var firstMs = 0.0
        var firstDone = 0
        var probes = 0
        await withTaskGroup(of: (Int, SweepReport?, Double).self) { group in
            func launch(_ result: TargetResult, score: Double? = nil) {
                // Past the cap, only a new leader (or the incumbent) is measured: the answer needs it.
                let room = finalists.count < max(1, options.maximumFinalists) || (score ?? .infinity) < bestLaunched
                guard result.address != nil, room || isIncumbent(result), finalists.insert(result.index).inserted else { return }
                if let score {
                    launchScores[result.index] = score
                    bestLaunched = min(bestLaunched, score)
                }
                let target = Self.numeric(result)
                // A final-round probe unanswered after several cutoffs cannot make its server win
                // (the late sample alone would cost it more in jitter and tail than the cutoff allows):
                // it counts as lost then, so one lossy finalist never holds the answer for the whole timeout.
                // The incumbent and servers with a good history keep the full timeout: they are measured
                // because of what they were, not because they beat the cutoff.
                var finalOptions = configuration.probe
                if score != nil, let cutoff {
                    finalOptions.timeoutMilliseconds = min(finalOptions.timeoutMilliseconds, Int(max(30, 3 * cutoff).rounded(.up)))
                }
                let index = result.index
                group.addTask { [finalOptions] in
                    let began = MonotonicInstant.now()
                    // Dropped (its first-round figure is beyond the final cutoff): stop measuring it.
                    let report = await withTaskGroup(of: SweepReport?.self) { race in
                        race.addTask { await ProbeEngine(options: finalOptions).probe([target], methods: methods) }
                        race.addTask { await drops.wait(for: index); return nil }
                        let first = await race.next() ?? nil
                        race.cancelAll()
                        return first
                    }
                    return (index, report, MonotonicInstant.now().milliseconds(since: began))
                }
            }
            func isIncumbent(_ result: TargetResult) -> Bool {
                guard let choice = prior?.choice, let address = result.address?.host else { return false }
                return choice == Self.candidateID(address: address, result: result)
            }
            func promising(_ result: TargetResult) -> Bool {
                guard let prior, let address = result.address?.host,
                      let typical = prior.typicalScore(of: Self.candidateID(address: address, result: result)) else { return false }
                return cutoff.map { typical <= $0 } ?? true
            }
            for await batch in ProbeEngine(options: firstOptions).updates(for: all, methods: methods, firstRound: firstRound) {
                for event in batch {
                    switch event {
                    case .result(let result):
                        results[result.index] = result
                        firstDone += 1
                        if let score = plan.score(result.index, result.samples) {
                            cutoff = min(cutoff ?? .infinity, options.cutoff(forScore: score))
                            if score <= cutoff ?? .infinity { launch(result, score: score) }
                        }
                        // The incumbent, and servers whose recent scores beat the cutoff (an ICMP-silent
                        // server that answers TCP fast is found this way once a full run has measured it).
                        if plan.eligible(result.index), isIncumbent(result) || promising(result) { launch(result) }
                    case .summary(let final):
                        summary = final
                    }
                }
                progress?(ProbeProgress(phase: .probing, done: firstDone, total: all.count))
            }
            firstMs = MonotonicInstant.now().milliseconds(since: start)
            // The cutoff is final now: finalists that only qualified under a looser one cannot win.
            for (index, score) in launchScores where score > cutoff ?? .infinity {
                drops.drop(index)
                finalists.remove(index)
            }
            for await (index, report, milliseconds) in group {
                guard let report, !report.summary.cancelled else { continue }
                if let fresh = report.results.first { results[index] = Self.merged(fresh, into: results[index]) }
                probes += report.summary.probesStarted
                finalMs = max(finalMs, milliseconds)
                if let reason = report.summary.icmpUnavailable { summary?.icmpUnavailable = reason }
            }
        }
        let sweep = summary ?? .cancelled(targets: all.count)
        // Timeouts (not pruned probes: those are only slower) across many targets: re-probe slower.
        let paced = await repaced(results.compactMap { $0 }, summary: sweep, methods: methods)
        var finished = paced.results
        let pruned = sweep.pruned
        probes += sweep.probesStarted + paced.probes
        // A remote finalist whose handshake is far faster than its ping may be a local proxy or firewall
        // answering: knock once on a few more servers; if they too answer at once, the report notes a
        // middlebox and ranks on ICMP (see ``ProbeSession/middleboxSuspected(_:)``).
        if methods == [.tcp, .icmp], !Task.isCancelled, let others = Self.middleboxCheck(finished, finalists: finalists) {
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
            return finish(finished, summary: sweep, errors: errors, start: start, servers: servers, explicit: targets.count)
        }
        var report = ranked()
        while !Task.isCancelled {
            let ahead = report.ranked.prefix { $0.inputIndex.map { !finalists.contains($0) } ?? false }.prefix(16)
            let positions: [Int] = ahead.compactMap { entry in
                finished.firstIndex { $0.index == entry.inputIndex && $0.address != nil }
            }
            guard report.best != nil, !positions.isEmpty else { break }
            for position in positions { finalists.insert(finished[position].index) }
            let began = MonotonicInstant.now()
            let extra = await ProbeEngine(options: configuration.probe).probe(positions.map { Self.numeric(finished[$0]) }, methods: methods)
            for fresh in extra.results { finished[positions[fresh.index]] = Self.merged(fresh, into: finished[positions[fresh.index]]) }
            probes += extra.summary.probesStarted
            finalMs += MonotonicInstant.now().milliseconds(since: began)
            report = ranked()
        }
        if let note = paced.note { report.notes.append(note) }
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
            finalists: finalists.count, pruned: pruned, probes: probes)
        return report
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
        ProbeTarget(host: result.address?.host ?? result.target.host, port: result.target.port, portKnown: result.target.portKnown)
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
        _ results: [TargetResult], summary: SweepSummary, errors: [ReportError], start: MonotonicInstant, servers: [Server], explicit: Int
    ) -> ProbeReport {
        var report = report(for: results, errors: errors, start: start, servers: servers, explicit: explicit)
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

    init(session: ProbeSession, targets: [ProbeTarget], servers: [Server]) {
        let weights = session.configuration.ranking
        self.weights = weights
        let filter = session.configuration.filter
        var extras: [Double?] = []
        extras.reserveCapacity(targets.count + servers.count)
        for target in targets {
            let candidate = Candidate(id: target.text, status: .up, medianMilliseconds: 0, loss: 0, names: [target.text, target.host])
            extras.append(filter.exclusion(candidate) == nil ? 0 : nil)
        }
        let candidates = servers.map { server in
            let target = ProbeSession.target(server)
            return ProbeSession.candidate(id: target.text, status: .up, median: 0, server: server, names: [target.text, target.host])
        }
        let loads = candidates.withUnsafeBufferPointer { CapacityRules.providerLoads($0) }
        for candidate in candidates {
            guard CapacityRules.exclusion(candidate) == nil, filter.exclusion(candidate) == nil else {
                extras.append(nil)
                continue
            }
            extras.append(CapacityRules.uncapped(candidate, loads: loads[candidate.provider ?? ""], weights: weights))
        }
        extraMilliseconds = extras
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

    static func format(_ value: Double?) -> String {
        guard let value else { return "?" }
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
