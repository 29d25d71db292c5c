/// The score of one candidate, term by term, in milliseconds of effective latency.
public struct ScoreTerms: Hashable, Sendable, Codable {
    /// The median RTT.
    public var median: Double
    /// Loss × its penalty.
    public var loss: Double
    /// Jitter × its weight.
    public var jitter: Double
    /// (p90 − median) × its weight.
    public var tail: Double
    /// Load × its penalty.
    public var load: Double
    /// Share of WireGuard slots taken × its penalty.
    public var slots: Double

    /// The same terms rounded to the microsecond, for reports.
    public init(rounded terms: ScoreTerms) {
        func round(_ value: Double) -> Double { (value * 1_000).rounded() / 1_000 }
        median = round(terms.median)
        loss = round(terms.loss)
        jitter = round(terms.jitter)
        tail = round(terms.tail)
        load = round(terms.load)
        slots = round(terms.slots)
    }

    /// The score: the sum of the terms (lower is better).
    public var total: Double { median + loss + jitter + tail + load + slots }

    /// The terms of `candidate`; `nil` when it did not answer. Every term is non-negative and
    /// grows with its figure, so the score never improves when RTT, jitter or loss get worse.
    public init?(_ candidate: Candidate, weights: RankingWeights) {
        self.init(candidate, sanitizedWeights: weights.sanitized)
    }

    /// The same, with weights already sanitised (once per ranking, not once per candidate).
    init?(_ candidate: borrowing Candidate, sanitizedWeights weights: RankingWeights) {
        guard candidate.status != .down, let median = candidate.medianMilliseconds, median.isFinite, median >= 0 else { return nil }
        func finite(_ value: Double?) -> Double { value.flatMap { $0.isFinite ? max(0, $0) : nil } ?? 0 }
        let lossShare = min(max(candidate.loss.isFinite ? candidate.loss : 1, 0), 1)
        self.median = median
        loss = weights.lossPenaltyMilliseconds * lossShare
        jitter = weights.jitterWeight * finite(candidate.jitterMilliseconds)
        tail = weights.tailWeight * max(0, finite(candidate.p90Milliseconds) - median)
        load = weights.loadPenaltyMilliseconds * min(1, finite(candidate.load))
        if let total = candidate.wgSlots, total > 0, let free = candidate.wgAvailableSlots {
            slots = weights.slotsPenaltyMilliseconds * (1 - min(1, max(0, Double(free) / Double(total))))
        } else {
            slots = 0
        }
    }
}
