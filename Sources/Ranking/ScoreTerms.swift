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
    /// The load term (see ``CapacityRules``).
    public var load: Double
    /// The free-WireGuard-slots term (see ``CapacityRules``).
    public var slots: Double
    /// The rule behind ``load`` (`71 connections, above the provider's median of 38`), when it is not 0.
    public var loadRule: String?
    /// The rule behind ``slots``, when it is not 0.
    public var slotsRule: String?
    /// `true` when load and slots were cut to the bound (the larger of 10 ms and half the median).
    public var capped: Bool?

    enum CodingKeys: String, CodingKey {
        case median, loss, jitter, tail, load, slots
        case loadRule = "load_rule", slotsRule = "slots_rule", capped
    }

    /// The same terms rounded to the microsecond, for reports.
    public init(rounded terms: ScoreTerms) {
        func round(_ value: Double) -> Double { (value * 1_000).rounded() / 1_000 }
        median = round(terms.median)
        loss = round(terms.loss)
        jitter = round(terms.jitter)
        tail = round(terms.tail)
        load = round(terms.load)
        slots = round(terms.slots)
        loadRule = terms.loadRule
        slotsRule = terms.slotsRule
        capped = terms.capped
    }

    /// The score: the sum of the terms (lower is better).
    public var total: Double { median + loss + jitter + tail + load + slots }

    /// The terms of `candidate`; `nil` when it did not answer. Every term is non-negative and
    /// grows with its figure, so the score never improves when RTT, jitter or loss get worse.
    /// `loads` holds the candidate's provider's figures (``CapacityRules/providerLoads(_:)``);
    /// without them a count costs nothing.
    package init?(_ candidate: Candidate, weights: RankingWeights, loads: CapacityRules.ProviderLoads? = nil) {
        self.init(candidate, sanitizedWeights: weights.sanitized, loads: loads)
    }

    /// The same, with weights already sanitised (once per ranking, not once per candidate).
    init?(_ candidate: borrowing Candidate, sanitizedWeights weights: RankingWeights, loads: CapacityRules.ProviderLoads?) {
        guard candidate.status != .down, let median = candidate.medianMilliseconds, median.isFinite, median >= 0 else { return nil }
        func finite(_ value: Double?) -> Double { value.flatMap { $0.isFinite ? max(0, $0) : nil } ?? 0 }
        let lossShare = min(max(candidate.loss.isFinite ? candidate.loss : 1, 0), 1)
        self.median = median
        loss = weights.lossPenaltyMilliseconds * lossShare
        jitter = weights.jitterWeight * finite(candidate.jitterMilliseconds)
        tail = weights.tailWeight * max(0, finite(candidate.p90Milliseconds) - median)
        (load, loadRule) = CapacityRules.load(candidate, loads: loads, weights: weights)
        (slots, slotsRule) = CapacityRules.slots(candidate, weights: weights)
        let cap = CapacityRules.cap(median: median, weights: weights)
        if load + slots > cap {
            let scale = cap / (load + slots)
            load *= scale
            slots *= scale
            capped = true
        }
    }
}
