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
    /// Milliseconds added at full load (default 30), in proportion to the load.
    public var loadPenaltyMilliseconds: Double
    /// Milliseconds added when no WireGuard slot is free (default 30), in proportion to the share taken.
    public var slotsPenaltyMilliseconds: Double

    /// Weights with the defaults, or the values given.
    public init(
        lossPenaltyMilliseconds: Double = 500, jitterWeight: Double = 0.5, tailWeight: Double = 0.25,
        loadPenaltyMilliseconds: Double = 30, slotsPenaltyMilliseconds: Double = 30
    ) {
        self.lossPenaltyMilliseconds = lossPenaltyMilliseconds
        self.jitterWeight = jitterWeight
        self.tailWeight = tailWeight
        self.loadPenaltyMilliseconds = loadPenaltyMilliseconds
        self.slotsPenaltyMilliseconds = slotsPenaltyMilliseconds
    }

    /// Negative or non-finite weights would break monotonicity: they count as 0.
    var sanitized: RankingWeights {
        func clean(_ value: Double) -> Double { value.isFinite && value > 0 ? value : 0 }
        return RankingWeights(
            lossPenaltyMilliseconds: clean(lossPenaltyMilliseconds), jitterWeight: clean(jitterWeight),
            tailWeight: clean(tailWeight), loadPenaltyMilliseconds: clean(loadPenaltyMilliseconds),
            slotsPenaltyMilliseconds: clean(slotsPenaltyMilliseconds))
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
    }
}
