/// When a challenger may replace the current choice. Peers switch on every flicker; probe keeps
/// its incumbent unless the challenger is clearly better. Pure: no I/O, no clock.
public struct StickyPolicy: Hashable, Sendable, Codable {
    /// The challenger must be better by at least this much (default 10 ms)...
    public var minimumGainMilliseconds: Double
    /// ...and its score at most this share of the incumbent's (default 2/3).
    public var maximumRatio: Double
    /// An incumbent scoring above this is replaced whatever the gain (default 250 ms).
    public var ceilingMilliseconds: Double
    /// Runs in a row the same challenger must qualify in before it takes over (default 1: at once).
    public var confirmations: Int

    /// A policy with the defaults, or the values given.
    public init(minimumGainMilliseconds: Double = 10, maximumRatio: Double = 2.0 / 3, ceilingMilliseconds: Double = 250, confirmations: Int = 1) {
        self.minimumGainMilliseconds = minimumGainMilliseconds
        self.maximumRatio = maximumRatio
        self.ceilingMilliseconds = ceilingMilliseconds
        self.confirmations = confirmations
    }
}

/// What the previous runs chose.
package struct StickyState: Hashable, Sendable, Codable {
    /// The current choice's id.
    package var choice: String?
    /// A challenger that qualified but still needs more confirming runs, and how many it has.
    package var pending: String?
    /// Runs the pending challenger has qualified in so far.
    package var pendingCount: Int
    /// A short history of each recently measured server's results, oldest first (see ``record(_:)``).
    package var history: [String: [HistoryEntry]]

    /// One server's figures in one run.
    package struct HistoryEntry: Hashable, Sendable, Codable {
        /// Its score (`nil`: it did not answer or was left out).
        package var score: Double?
        /// Its median RTT in ms.
        package var median: Double?
        /// Share of probes lost.
        package var loss: Double

        /// An entry.
        package init(score: Double?, median: Double?, loss: Double) {
            self.score = score
            self.median = median
            self.loss = loss
        }
    }

    /// Runs kept per server.
    package static let historyLength = 8
    /// Servers kept: the best of each run and the choice; the rest are forgotten first.
    package static let historyServers = 256

    /// A state.
    package init(choice: String? = nil, pending: String? = nil, pendingCount: Int = 0, history: [String: [HistoryEntry]] = [:]) {
        self.choice = choice
        self.pending = pending
        self.pendingCount = pendingCount
        self.history = history
    }

    enum CodingKeys: String, CodingKey {
        case choice, pending, pendingCount, history
    }

    /// Reads a state; files written before the history existed have none.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        choice = try container.decodeIfPresent(String.self, forKey: .choice)
        pending = try container.decodeIfPresent(String.self, forKey: .pending)
        pendingCount = try container.value(.pendingCount, or: 0)
        history = try container.decodeIfPresent([String: [HistoryEntry]].self, forKey: .history) ?? [:]
    }

    /// Adds one run's figures (`id` and entry per measured server, best first) to the history:
    /// each server keeps its last ``historyLength`` runs; at most ``historyServers`` servers are
    /// kept, those with the best latest score (and the choice) first.
    package mutating func record(_ run: [(id: String, entry: HistoryEntry)]) {
        for (id, entry) in run {
            var entries = history[id] ?? []
            entries.append(entry)
            if entries.count > Self.historyLength { entries.removeFirst(entries.count - Self.historyLength) }
            history[id] = entries
        }
        guard history.count > Self.historyServers else { return }
        let keep = history.sorted { a, b in
            if (a.key == choice) != (b.key == choice) { return a.key == choice }
            let sa = a.value.last?.score ?? .infinity, sb = b.value.last?.score ?? .infinity
            return sa != sb ? sa < sb : a.key < b.key
        }.prefix(Self.historyServers)
        history = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
    }

    /// The median of a server's recent scores (runs it did not answer count as missing), or `nil`.
    package func typicalScore(of id: String) -> Double? {
        let scores = (history[id] ?? []).compactMap(\.score).sorted()
        guard !scores.isEmpty else { return nil }
        return scores[scores.count / 2]
    }
}

/// The choice of one run, and why.
package struct StickyDecision: Hashable, Sendable {
    /// The id chosen (`nil` when nothing answered).
    package var choice: String?
    /// Whether the choice changed from the incumbent's.
    package var switched: Bool
    /// Why, in one line.
    package var reason: String
    /// The state to keep for the next run.
    package var state: StickyState
}

/// The hysteresis: keep the incumbent unless the challenger wins clearly or the incumbent fails.
package enum Stickiness {
    /// Decides between the incumbent in `state` and the best of `ranked` (best first).
    /// The history in `state` is carried into the decision's state unchanged.
    package static func decide(ranked: [RankedCandidate], state: StickyState, policy: StickyPolicy = StickyPolicy()) -> StickyDecision {
        var decision = choose(ranked: ranked, state: state, policy: policy)
        decision.state.history = state.history
        return decision
    }

    /// The same decision from a ranking as indices (``Ranker/order(_:weights:filter:)``), without
    /// building every ranked candidate: only the best that answered and the incumbent count.
    package static func decide(order: RankOrder, candidates: [Candidate], state: StickyState, policy: StickyPolicy = StickyPolicy()) -> StickyDecision {
        var positions: [Int] = []
        if let best = order.indices.firstIndex(where: { order.scores[$0] != nil }) { positions.append(best) }
        if let incumbent = state.choice, let position = order.indices.firstIndex(where: { candidates[$0].id == incumbent }) {
            positions.append(position)
        }
        let ranked = Set(positions).sorted().map { order.ranked(at: $0, of: candidates) }
        return decide(ranked: ranked, state: state, policy: policy)
    }

    private static func choose(ranked: [RankedCandidate], state: StickyState, policy: StickyPolicy) -> StickyDecision {
        guard let best = ranked.first(where: { $0.score != nil }), let bestScore = best.score else {
            return StickyDecision(choice: nil, switched: state.choice != nil, reason: "nothing answered", state: StickyState())
        }
        let challenger = best.candidate.id
        guard let incumbentID = state.choice else {
            return StickyDecision(choice: challenger, switched: true, reason: "first choice", state: StickyState(choice: challenger))
        }
        if incumbentID == challenger {
            return StickyDecision(choice: challenger, switched: false, reason: "the incumbent is still the best", state: StickyState(choice: challenger))
        }
        guard let incumbent = ranked.first(where: { $0.candidate.id == incumbentID }) else {
            return StickyDecision(choice: challenger, switched: true, reason: "the incumbent was not measured this run", state: StickyState(choice: challenger))
        }
        if let reason = incumbent.excluded {
            return StickyDecision(choice: challenger, switched: true, reason: "the incumbent is left out: \(reason)", state: StickyState(choice: challenger))
        }
        guard let incumbentScore = incumbent.score else {
            return StickyDecision(choice: challenger, switched: true, reason: "the incumbent did not answer", state: StickyState(choice: challenger))
        }
        if incumbentScore > policy.ceilingMilliseconds {
            return StickyDecision(choice: challenger, switched: true,
                                  reason: "the incumbent's score \(format(incumbentScore)) ms is above the \(format(policy.ceilingMilliseconds)) ms ceiling",
                                  state: StickyState(choice: challenger))
        }
        let gain = incumbentScore - bestScore
        let clearly = gain >= policy.minimumGainMilliseconds && bestScore <= policy.maximumRatio * incumbentScore
        guard clearly else {
            return StickyDecision(
                choice: incumbentID, switched: false,
                reason: "kept: the challenger is \(format(gain)) ms better (needs \(format(policy.minimumGainMilliseconds)) ms and at most "
                    + "\(format(policy.maximumRatio * 100))% of the incumbent's \(format(incumbentScore)) ms)",
                state: StickyState(choice: incumbentID))
        }
        let count = state.pending == challenger ? state.pendingCount + 1 : 1
        if count < max(1, policy.confirmations) {
            return StickyDecision(choice: incumbentID, switched: false,
                                  reason: "kept: the challenger qualified \(count) of \(policy.confirmations) runs",
                                  state: StickyState(choice: incumbentID, pending: challenger, pendingCount: count))
        }
        return StickyDecision(choice: challenger, switched: true,
                              reason: "switched: the challenger is \(format(gain)) ms better (\(format(bestScore / incumbentScore * 100))% of the incumbent)",
                              state: StickyState(choice: challenger))
    }

    static func format(_ value: Double) -> String { DecimalText.oneDecimal(value) }
}

extension StickyPolicy {
    enum CodingKeys: String, CodingKey {
        case minimumGainMilliseconds, maximumRatio, ceilingMilliseconds, confirmations
    }

    /// Reads the value; every key is optional and takes its default when missing.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = StickyPolicy()
        minimumGainMilliseconds = try container.value(.minimumGainMilliseconds, or: defaults.minimumGainMilliseconds)
        maximumRatio = try container.value(.maximumRatio, or: defaults.maximumRatio)
        ceilingMilliseconds = try container.value(.ceilingMilliseconds, or: defaults.ceilingMilliseconds)
        confirmations = try container.value(.confirmations, or: defaults.confirmations)
    }
}
