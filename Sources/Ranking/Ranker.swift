/// A candidate with its score and place.
package struct RankedCandidate: Hashable, Sendable {
    /// The candidate.
    package var candidate: Candidate
    /// Its position in the list given to ``Ranker/rank(_:weights:)``.
    package var inputIndex: Int
    /// Effective latency in milliseconds (lower is better); `nil` when it did not answer or was left out.
    package var score: Double?
    /// The score term by term, when it has one.
    package var terms: ScoreTerms?
    /// Why it was left out of the ranking (a filter, no free slot), when it was.
    package var excluded: String?
    /// 1 for the best.
    package var rank: Int

    /// A ranked candidate.
    package init(candidate: Candidate, inputIndex: Int, score: Double?, rank: Int, terms: ScoreTerms? = nil, excluded: String? = nil) {
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
package enum Ranker {
    /// The score of one candidate (the sum of its ``ScoreTerms``); `nil` when down.
    /// Monotone: it never improves when the median, p90, jitter or loss gets worse.
    package static func score(_ candidate: Candidate, weights: RankingWeights = RankingWeights()) -> Double? {
        ScoreTerms(candidate, weights: weights)?.total
    }

    /// Ranks `candidates`, best first; those `filter` leaves out come last with the reason.
    /// Builds one ``RankedCandidate`` per input (a copy of each candidate); for very large
    /// inputs ``order(_:weights:filter:)`` gives the same ranking as indices and scores only.
    package static func rank(
        _ candidates: [Candidate], weights: RankingWeights = RankingWeights(), filter: CandidateFilter = CandidateFilter()
    ) -> [RankedCandidate] {
        let order = order(candidates, weights: weights, filter: filter)
        // Each ranked entry is built once, in its final place.
        return order.indices.enumerated().map { position, index in
            RankedCandidate(candidate: candidates[index], inputIndex: index, score: order.scores[index], rank: position + 1,
                            terms: order.terms[index], excluded: order.exclusions[index])
        }
    }

    /// The ranking of `candidates` as input indices, best first, with each input's score, terms
    /// and exclusion (indexed by input position). Copies no candidate: a million rank in well under a second.
    package static func order(
        _ candidates: [Candidate], weights: RankingWeights = RankingWeights(), filter: CandidateFilter = CandidateFilter()
    ) -> RankOrder {
        let prepared = filter.prepared()
        let weights = weights.sanitized
        var exclusions = [String?](repeating: nil, count: candidates.count)
        var terms = [ScoreTerms?](repeating: nil, count: candidates.count)
        var scores = [Double?](repeating: nil, count: candidates.count)
        var keys: [SortKey] = []
        keys.reserveCapacity(candidates.count)
        var messages = CandidateFilter.Prepared.Messages()
        candidates.withUnsafeBufferPointer { buffer in
            let loads = CapacityRules.providerLoads(buffer)
            for index in buffer.indices {
                let excluded = CapacityRules.exclusion(buffer[index]) ?? prepared.exclusion(buffer[index], messages: &messages)
                let providerLoads = loads.isEmpty ? nil : loads[buffer[index].provider ?? ""]
                let scoreTerms = excluded == nil ? ScoreTerms(buffer[index], sanitizedWeights: weights, loads: providerLoads) : nil
                if let excluded { exclusions[index] = excluded }
                if let scoreTerms {
                    terms[index] = scoreTerms
                    scores[index] = scoreTerms.total
                }
                keys.append(SortKey(buffer[index], score: scoreTerms?.total, excluded: excluded != nil, index: index))
            }
        }
        // Sort the small keys themselves; equal figures fall back to the identity (then input
        // order), so the result never depends on the input's order. Identities are compared only
        // on ties, inside the one sort.
        candidates.withUnsafeBufferPointer { buffer in
            keys.sort { a, b in
                if let less = a.figuresLess(than: b) { return less }
                let idA = buffer[a.index].id, idB = buffer[b.index].id
                if idA < idB { return true }
                if idB < idA { return false }
                return a.index < b.index
            }
        }
        return RankOrder(indices: keys.map(\.index), scores: scores, terms: terms, exclusions: exclusions)
    }

    /// What orders two candidates before their identity: left out last, then status tier, score, p90, loss.
    struct SortKey: Comparable {
        var excluded: Bool
        var tier: Int
        var score: Double
        var p90: Double
        var loss: Double
        var index: Int

        init(_ candidate: borrowing Candidate, score: Double?, excluded: Bool, index: Int) {
            self.excluded = excluded
            self.index = index
            tier = score == nil ? Candidate.Status.down.tier : candidate.status.tier
            self.score = score ?? .infinity
            p90 = candidate.p90Milliseconds.flatMap { $0.isNaN ? nil : $0 } ?? .infinity
            loss = candidate.loss.isNaN ? 1 : candidate.loss
        }

        static func < (a: SortKey, b: SortKey) -> Bool {
            a.figuresLess(than: b) ?? (a.index < b.index)
        }

        /// Whether `self` comes first by its figures; `nil` when they are all equal.
        @inline(__always)
        func figuresLess(than b: SortKey) -> Bool? {
            if excluded != b.excluded { return !excluded }
            if tier != b.tier { return tier < b.tier }
            if score != b.score { return score < b.score }
            if p90 != b.p90 { return p90 < b.p90 }
            if loss != b.loss { return loss < b.loss }
            return nil
        }
    }

    /// The best candidate that answered and was not left out, if any.
    package static func best(_ candidates: [Candidate], weights: RankingWeights = RankingWeights(), filter: CandidateFilter = CandidateFilter()) -> RankedCandidate? {
        rank(candidates, weights: weights, filter: filter).first { $0.score != nil }
    }

}
