/// A candidate with its score and place.
public struct RankedCandidate: Hashable, Sendable {
    /// The candidate.
    public var candidate: Candidate
    /// Its position in the list given to ``Ranker/rank(_:weights:)``.
    public var inputIndex: Int
    /// Effective latency in milliseconds (lower is better); `nil` when it did not answer.
    public var score: Double?
    /// 1 for the best.
    public var rank: Int

    /// A ranked candidate.
    public init(candidate: Candidate, inputIndex: Int, score: Double?, rank: Int) {
        self.candidate = candidate
        self.inputIndex = inputIndex
        self.score = score
        self.rank = rank
    }
}

/// Orders candidates, best first. Pure: no I/O, no clock; the same input in any order gives the same ranking.
///
/// Order: servers that are up, then those that answered with a closed port, then those that
/// did not answer; within each, the lower score (median RTT plus a loss penalty), then the
/// lower p90, the lower loss, and finally the identity, so ties are deterministic.
public enum Ranker {
    /// The score of one candidate: median RTT plus `lossPenaltyMilliseconds` × loss; `nil` when down.
    /// Monotone: it never improves when the median or the loss gets worse.
    public static func score(_ candidate: Candidate, weights: RankingWeights = RankingWeights()) -> Double? {
        guard candidate.status != .down, let median = candidate.medianMilliseconds, median.isFinite else { return nil }
        let loss = min(max(candidate.loss.isFinite ? candidate.loss : 1, 0), 1)
        return median + weights.lossPenaltyMilliseconds * loss
    }

    /// Ranks `candidates`, best first.
    public static func rank(_ candidates: [Candidate], weights: RankingWeights = RankingWeights()) -> [RankedCandidate] {
        var scored = candidates.enumerated().map { index, candidate in
            RankedCandidate(candidate: candidate, inputIndex: index, score: score(candidate, weights: weights), rank: 0)
        }
        scored.sort(by: isBetter)
        for index in scored.indices { scored[index].rank = index + 1 }
        return scored
    }

    /// The best candidate that answered, if any.
    public static func best(_ candidates: [Candidate], weights: RankingWeights = RankingWeights()) -> RankedCandidate? {
        rank(candidates, weights: weights).first { $0.score != nil }
    }

    static func isBetter(_ a: RankedCandidate, _ b: RankedCandidate) -> Bool {
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
