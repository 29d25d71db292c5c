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
    public var loadRule: String? {
        get { rules?.value.loadRule }
        set { changeRules { $0.loadRule = newValue } }
    }
    /// The rule behind ``slots``, when it is not 0.
    public var slotsRule: String? {
        get { rules?.value.slotsRule }
        set { changeRules { $0.slotsRule = newValue } }
    }
    /// `true` when load and slots were cut to the bound (the larger of 10 ms and half the median).
    public var capped: Bool? {
        get { rules?.value.capped }
        set { changeRules { $0.capped = newValue } }
    }
    /// The rules and the cap, out of line: most candidates have none, and the terms are kept for
    /// every candidate twice (the ranking's and the report's): 56 bytes each instead of 88.
    private var rules: RulesBox?

    /// What ``loadRule``, ``slotsRule`` and ``capped`` say.
    private struct Rules: Hashable, Sendable {
        var loadRule: String?
        var slotsRule: String?
        var capped: Bool?
    }

    /// An immutable box: copies of the terms share it, a change replaces it.
    private final class RulesBox: Hashable, Sendable {
        let value: Rules
        init(_ value: Rules) { self.value = value }
        static func == (lhs: RulesBox, rhs: RulesBox) -> Bool { lhs === rhs || lhs.value == rhs.value }
        func hash(into hasher: inout Hasher) { hasher.combine(value) }
    }

    private mutating func changeRules(_ change: (inout Rules) -> Void) {
        var value = rules?.value ?? Rules()
        change(&value)
        rules = Self.boxed(value)
    }

    /// `rules` in a box, or `nil` when they say nothing.
    private static func boxed(_ rules: Rules) -> RulesBox? {
        rules == Rules() ? nil : RulesBox(rules)
    }

    enum CodingKeys: String, CodingKey {
        case median, loss, jitter, tail, load, slots
        case loadRule = "load_rule", slotsRule = "slots_rule", capped
    }

    /// Terms as given.
    package init(median: Double, loss: Double, jitter: Double, tail: Double, load: Double, slots: Double,
                loadRule: String? = nil, slotsRule: String? = nil, capped: Bool? = nil) {
        self.median = median
        self.loss = loss
        self.jitter = jitter
        self.tail = tail
        self.load = load
        self.slots = slots
        rules = Self.boxed(Rules(loadRule: loadRule, slotsRule: slotsRule, capped: capped))
    }

    /// Reads terms; the rules and `capped` may be missing.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            median: try container.decode(Double.self, forKey: .median), loss: try container.decode(Double.self, forKey: .loss),
            jitter: try container.decode(Double.self, forKey: .jitter), tail: try container.decode(Double.self, forKey: .tail),
            load: try container.decode(Double.self, forKey: .load), slots: try container.decode(Double.self, forKey: .slots),
            loadRule: try container.decodeIfPresent(String.self, forKey: .loadRule),
            slotsRule: try container.decodeIfPresent(String.self, forKey: .slotsRule),
            capped: try container.decodeIfPresent(Bool.self, forKey: .capped))
    }

    /// Writes the six terms, then the rules and `capped` when present (the order the README shows).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(median, forKey: .median)
        try container.encode(loss, forKey: .loss)
        try container.encode(jitter, forKey: .jitter)
        try container.encode(tail, forKey: .tail)
        try container.encode(load, forKey: .load)
        try container.encode(slots, forKey: .slots)
        try container.encodeIfPresent(loadRule, forKey: .loadRule)
        try container.encodeIfPresent(slotsRule, forKey: .slotsRule)
        try container.encodeIfPresent(capped, forKey: .capped)
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
        rules = terms.rules
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
        let loadRule: String?, slotsRule: String?
        (load, loadRule) = CapacityRules.load(candidate, loads: loads, weights: weights)
        (slots, slotsRule) = CapacityRules.slots(candidate, weights: weights)
        let cap = CapacityRules.cap(median: median, weights: weights)
        var capped: Bool?
        if load + slots > cap {
            let scale = cap / (load + slots)
            load *= scale
            slots *= scale
            capped = true
        }
        rules = Self.boxed(Rules(loadRule: loadRule, slotsRule: slotsRule, capped: capped))
    }
}
