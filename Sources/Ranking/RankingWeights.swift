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

    /// The key names, the same in the configuration file's `ranking` section, the library's
    /// `Codable` and (kebab-cased) the flags: `lossPenaltyMs`, `jitterWeight`, `tailWeight`,
    /// `loadPenaltyMs`, `slotsPenaltyMs`, `loadKnee`, `slotsThreshold`, `slotsThresholdShare`,
    /// `capacityCapMs`, `capacityCapShare`.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case lossPenaltyMilliseconds = "lossPenaltyMs"
        case jitterWeight
        case tailWeight
        case loadPenaltyMilliseconds = "loadPenaltyMs"
        case slotsPenaltyMilliseconds = "slotsPenaltyMs"
        case loadKnee
        case slotsThreshold
        case slotsThresholdShare
        case capacityCapMilliseconds = "capacityCapMs"
        case capacityCapShare
    }

    /// The spellings earlier versions wrote (`lossPenaltyMilliseconds`, ...), still read.
    private struct LegacyKeys: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Codable with every key optional (a config file's `ranking` section names only what it changes).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let legacy = try decoder.container(keyedBy: LegacyKeys.self)
        func value(_ key: CodingKeys, legacy name: String? = nil, _ fallback: Double) throws -> Double {
            if let value = try container.decodeIfPresent(Double.self, forKey: key) { return value }
            if let name, let value = try legacy.decodeIfPresent(Double.self, forKey: LegacyKeys(stringValue: name)) { return value }
            return fallback
        }
        let defaults = RankingWeights()
        self.init(
            lossPenaltyMilliseconds: try value(.lossPenaltyMilliseconds, legacy: "lossPenaltyMilliseconds", defaults.lossPenaltyMilliseconds),
            jitterWeight: try value(.jitterWeight, defaults.jitterWeight), tailWeight: try value(.tailWeight, defaults.tailWeight),
            loadPenaltyMilliseconds: try value(.loadPenaltyMilliseconds, legacy: "loadPenaltyMilliseconds", defaults.loadPenaltyMilliseconds),
            slotsPenaltyMilliseconds: try value(.slotsPenaltyMilliseconds, legacy: "slotsPenaltyMilliseconds", defaults.slotsPenaltyMilliseconds),
            loadKnee: try value(.loadKnee, defaults.loadKnee), slotsThreshold: try value(.slotsThreshold, defaults.slotsThreshold),
            slotsThresholdShare: try value(.slotsThresholdShare, defaults.slotsThresholdShare),
            capacityCapMilliseconds: try value(.capacityCapMilliseconds, legacy: "capacityCapMilliseconds", defaults.capacityCapMilliseconds),
            capacityCapShare: try value(.capacityCapShare, defaults.capacityCapShare))
    }

    /// These weights with every key `section` names taken from it where these are at their
    /// default: defaults, then the configuration file, then what the caller set (flags) win.
    /// Throws a one-line reason for a value that is not a number of 0 or more (a knee of 1 or more).
    public func applying(section: [String: Double]) throws(RankingError) -> RankingWeights {
        var result = self
        let defaults = RankingWeights()
        for (name, value) in section {
            guard let key = CodingKeys(stringValue: name) ?? CodingKeys.allCases.first(where: { "\($0)" == name }) else {
                throw RankingError("ranking.\(name) is not a ranking setting (\(CodingKeys.allCases.map(\.stringValue).joined(separator: ", ")))")
            }
            guard value.isFinite, value >= 0 else { throw RankingError("ranking.\(key.stringValue) must be a number of 0 or more") }
            switch key {
            case .lossPenaltyMilliseconds: if result.lossPenaltyMilliseconds == defaults.lossPenaltyMilliseconds { result.lossPenaltyMilliseconds = value }
            case .jitterWeight: if result.jitterWeight == defaults.jitterWeight { result.jitterWeight = value }
            case .tailWeight: if result.tailWeight == defaults.tailWeight { result.tailWeight = value }
            case .loadPenaltyMilliseconds: if result.loadPenaltyMilliseconds == defaults.loadPenaltyMilliseconds { result.loadPenaltyMilliseconds = value }
            case .slotsPenaltyMilliseconds: if result.slotsPenaltyMilliseconds == defaults.slotsPenaltyMilliseconds { result.slotsPenaltyMilliseconds = value }
            case .loadKnee:
                guard value < 1 else { throw RankingError("ranking.loadKnee must be below 1") }
                if result.loadKnee == defaults.loadKnee { result.loadKnee = value }
            case .slotsThreshold: if result.slotsThreshold == defaults.slotsThreshold { result.slotsThreshold = value }
            case .slotsThresholdShare: if result.slotsThresholdShare == defaults.slotsThresholdShare { result.slotsThresholdShare = value }
            case .capacityCapMilliseconds: if result.capacityCapMilliseconds == defaults.capacityCapMilliseconds { result.capacityCapMilliseconds = value }
            case .capacityCapShare: if result.capacityCapShare == defaults.capacityCapShare { result.capacityCapShare = value }
            }
        }
        return result
    }
}

/// A ranking setting that cannot be used, in one line.
public struct RankingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The reason.
    public var message: String
    /// An error.
    public init(_ message: String) { self.message = message }
    /// The reason.
    public var description: String { message }
}
