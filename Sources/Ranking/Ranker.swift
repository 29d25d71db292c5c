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
    public static func rank(
        _ candidates: [Candidate], weights: RankingWeights = RankingWeights(), filter: CandidateFilter = CandidateFilter()
    ) -> [RankedCandidate] {
        var scored = candidates.enumerated().map { index, candidate in
            if let reason = filter.exclusion(candidate) {
                return RankedCandidate(candidate: candidate, inputIndex: index, score: nil, rank: 0, excluded: reason)
            }
            let terms = ScoreTerms(candidate, weights: weights)
            return RankedCandidate(candidate: candidate, inputIndex: index, score: terms?.total, rank: 0, terms: terms)
        }
        scored.sort(by: isBetter)
        for index in scored.indices { scored[index].rank = index + 1 }
        return scored
    }

    /// The best candidate that answered and was not left out, if any.
    public static func best(_ candidates: [Candidate], weights: RankingWeights = RankingWeights(), filter: CandidateFilter = CandidateFilter()) -> RankedCandidate? {
        rank(candidates, weights: weights, filter: filter).first { $0.score != nil }
    }

    static func isBetter(_ a: RankedCandidate, _ b: RankedCandidate) -> Bool {
        if (a.excluded == nil) != (b.excluded == nil) { return a.excluded == nil }  // left-out ones last
        let statusA = a.score == nil ? Candidate.Status.down : a.candidate.status
        let statusB = b.score == nil ? Candidate.Status.down : b.candidate.status
        if statusA != statusB { return statusA < statusB }
        if let x = a.score, let y = b.score, x != y { return x < y }
        let p90A = a.candidate.p90Milliseconds ?? .infinity, p90B = b.candidate.p90Milliseconds ?? .infinity
        if p90A != p90B { return p90A < p90B }
        if a.candidate.loss != b.candidate.loss { return a.candidate.loss < b.candidate.loss }
        if a.candidate.id != b.candidate.id { return a.candidate.id < b.candidate.id }
        return a.inputIndex < b.inputIndex
    }
}
