/// A candidate with its score and place.
public struct RankedCandidate: Hashable, Sendable {
    /// The candidate.
    public var candidate: Candidate
    /// Its position in the list given to ``Ranker/rank(_:weights:)``.
    public var inputIndex: Int
    /// Effective latency in milliseconds (lower is better); `nil` when it did not answer or was left out.
    public var score: Double?
    /// The score term by term, when it has one.
    public var terms: ScoreTerms?
    /// Why it was left out of the ranking (a filter, no free slot), when it was.
    public var excluded: String?
    /// 1 for the best.
    public var rank: Int

    /// A ranked candidate.
    public init(candidate: Candidate, inputIndex: Int, score: Double?, rank: Int, terms: ScoreTerms? = nil, excluded: String? = nil) {
        self.candidate = candidate
        self.inputIndex = inputIndex
        self.score = score
        self.rank = rank
        self.terms = terms
        self.excluded = excluded
    }
}

/// Orders candidates, best first. Pure: no I/O, no clock; the same input in any order gives the same ranking.
///
/// Order: servers that are up, then those that answered with a closed port, then those that
/// did not answer; within each, the lower score (median RTT plus a loss penalty), then the
/// lower p90, the lower loss, and finally the identity, so ties are deterministic.
public enum Ranker {
    /// The score of one candidate (the sum of its ``ScoreTerms``); `nil` when down.
    /// Monotone: it never improves when the median, p90, jitter or loss gets worse.
    public static func score(_ candidate: Candidate, weights: RankingWeights = RankingWeights()) -> Double? {
        ScoreTerms(candidate, weights: weights)?.total
    }

    /// Ranks `candidates`, best first; those `filter` leaves out come last with the reason.
    /// Sorts compact keys by index (not the candidates themselves), so a million rank quickly.
    public static func rank(
        _ candidates: [Candidate], weights: RankingWeights = RankingWeights(), filter: CandidateFilter = CandidateFilter()
    ) -> [RankedCandidate] {
        let prepared = filter.prepared()
        var scored: [RankedCandidate] = []
        scored.reserveCapacity(candidates.count)
        var keys: [SortKey] = []
        keys.reserveCapacity(candidates.count)
        for (index, candidate) in candidates.enumerated() {
            let excluded = prepared.exclusion(candidate)
            let terms = excluded == nil ? ScoreTerms(candidate, weights: weights) : nil
            let entry = RankedCandidate(candidate: candidate, inputIndex: index, score: terms?.total, rank: 0, terms: terms, excluded: excluded)
            keys.append(SortKey(entry))
            scored.append(entry)
        }
        var order = Array(keys.indices)
        order.sort { a, b in
            let (x, y) = (keys[a], keys[b])
            if x != y { return x < y }
            let idA = scored[a].candidate.id, idB = scored[b].candidate.id
            return idA != idB ? idA < idB : a < b
        }
        return order.enumerated().map { position, index in
            var entry = scored[index]
            entry.rank = position + 1
            return entry
        }
    }

    /// What orders two candidates before their identity: left out last, then status tier, score, p90, loss.
    struct SortKey: Comparable {
        var excluded: Bool
        var tier: Int
        var score: Double
        var p90: Double
        var loss: Double

        init(_ entry: RankedCandidate) {
            excluded = entry.excluded != nil
            tier = entry.score == nil ? Candidate.Status.down.tier : entry.candidate.status.tier
            score = entry.score ?? .infinity
            p90 = entry.candidate.p90Milliseconds.flatMap { $0.isNaN ? nil : $0 } ?? .infinity
            loss = entry.candidate.loss.isNaN ? 1 : entry.candidate.loss
        }

        static func < (a: SortKey, b: SortKey) -> Bool {
            if a.excluded != b.excluded { return !a.excluded }
            if a.tier != b.tier { return a.tier < b.tier }
            if a.score != b.score { return a.score < b.score }
            if a.p90 != b.p90 { return a.p90 < b.p90 }
            return a.loss < b.loss
        }
    }

    /// The best candidate that answered and was not left out, if any.
    public static func best(_ candidates: [Candidate], weights: RankingWeights = RankingWeights(), filter: CandidateFilter = CandidateFilter()) -> RankedCandidate? {
        rank(candidates, weights: weights, filter: filter).first { $0.score != nil }
    }

}
