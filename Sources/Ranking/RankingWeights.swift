/// The weights of the score: what each figure costs, in milliseconds of effective latency.
/// Defaults are sane for picking a VPN or proxy server; all are configurable.
public struct RankingWeights: Hashable, Sendable, Codable {
    /// Milliseconds added per unit of loss (default 500: one lost probe of three costs ~167 ms).
    public var lossPenaltyMilliseconds: Double
    /// Milliseconds added per millisecond of jitter (default 0.5). With three samples one late
    /// sample reads as jitter, so a heavier default would let noise outweigh a real RTT lead.
    public var jitterWeight: Double
    /// Milliseconds added per millisecond that p90 lies above the median (default 0.25).
    public var tailWeight: Double
    /// Milliseconds at full load (default 30): the busiest server of a provider that reports
    /// counts, or a utilisation of 1.0 (see ``CapacityRules``).
    public var loadPenaltyMilliseconds: Double
    /// Milliseconds as the last free WireGuard slot goes (default 30), growing from the threshold down.
    public var slotsPenaltyMilliseconds: Double
    /// The utilisation up to which load costs nothing (default 0.7).
    public var loadKnee: Double
    /// Free WireGuard slots below which they cost something, when no total is known (default 10).
    public var slotsThreshold: Double
    /// The same as a share of a known total (default 0.05: 5 %).
    public var slotsThresholdShare: Double
    /// Capacity terms together add at most the larger of this (default 10 ms) ...
    public var capacityCapMilliseconds: Double
    /// ... and this share of the median RTT (default 0.5).
    public var capacityCapShare: Double

    /// Weights with the defaults, or the values given.
    public init(
        lossPenaltyMilliseconds: Double = 500, jitterWeight: Double = 0.5, tailWeight: Double = 0.25,
        loadPenaltyMilliseconds: Double = 30, slotsPenaltyMilliseconds: Double = 30, loadKnee: Double = 0.7,
        slotsThreshold: Double = 10, slotsThresholdShare: Double = 0.05, capacityCapMilliseconds: Double = 10,
        capacityCapShare: Double = 0.5
    ) {
        self.lossPenaltyMilliseconds = lossPenaltyMilliseconds
        self.jitterWeight = jitterWeight
        self.tailWeight = tailWeight
        self.loadPenaltyMilliseconds = loadPenaltyMilliseconds
        self.slotsPenaltyMilliseconds = slotsPenaltyMilliseconds
        self.loadKnee = loadKnee
        self.slotsThreshold = slotsThreshold
        self.slotsThresholdShare = slotsThresholdShare
        self.capacityCapMilliseconds = capacityCapMilliseconds
        self.capacityCapShare = capacityCapShare
    }

    /// Negative or non-finite weights would break monotonicity: they count as 0.
    var sanitized: RankingWeights {
        func clean(_ value: Double) -> Double { value.isFinite && value > 0 ? value : 0 }
        return RankingWeights(
            lossPenaltyMilliseconds: clean(lossPenaltyMilliseconds), jitterWeight: clean(jitterWeight),
            tailWeight: clean(tailWeight), loadPenaltyMilliseconds: clean(loadPenaltyMilliseconds),
            slotsPenaltyMilliseconds: clean(slotsPenaltyMilliseconds),
            loadKnee: loadKnee.isFinite ? min(max(loadKnee, 0), 0.99) : 0.7, slotsThreshold: clean(slotsThreshold),
            slotsThresholdShare: min(clean(slotsThresholdShare), 1), capacityCapMilliseconds: clean(capacityCapMilliseconds),
            capacityCapShare: clean(capacityCapShare))
    }

    /// Codable with every key optional (a config file's `ranking` section names only what it changes).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = RankingWeights()
        lossPenaltyMilliseconds = try container.decodeIfPresent(Double.self, forKey: .lossPenaltyMilliseconds) ?? defaults.lossPenaltyMilliseconds
        jitterWeight = try container.decodeIfPresent(Double.self, forKey: .jitterWeight) ?? defaults.jitterWeight
        tailWeight = try container.decodeIfPresent(Double.self, forKey: .tailWeight) ?? defaults.tailWeight
        loadPenaltyMilliseconds = try container.decodeIfPresent(Double.self, forKey: .loadPenaltyMilliseconds) ?? defaults.loadPenaltyMilliseconds
        slotsPenaltyMilliseconds = try container.decodeIfPresent(Double.self, forKey: .slotsPenaltyMilliseconds) ?? defaults.slotsPenaltyMilliseconds
        loadKnee = try container.decodeIfPresent(Double.self, forKey: .loadKnee) ?? defaults.loadKnee
        slotsThreshold = try container.decodeIfPresent(Double.self, forKey: .slotsThreshold) ?? defaults.slotsThreshold
        slotsThresholdShare = try container.decodeIfPresent(Double.self, forKey: .slotsThresholdShare) ?? defaults.slotsThresholdShare
        capacityCapMilliseconds = try container.decodeIfPresent(Double.self, forKey: .capacityCapMilliseconds) ?? defaults.capacityCapMilliseconds
        capacityCapShare = try container.decodeIfPresent(Double.self, forKey: .capacityCapShare) ?? defaults.capacityCapShare
    }
}
