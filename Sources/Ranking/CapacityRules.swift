/// How capacity figures (load, free WireGuard slots) turn into milliseconds of score. Pure.
///
/// The rules, so that the pick depends on which server is better, not on which provider reports
/// more figures:
/// - Unknown is neutral, and typical is neutral: a figure the provider does not give costs
///   nothing, and neither does the value most servers report.
/// - A count without a capacity (NetMimic `active_connections`) is judged within its provider,
///   above its median only: the provider's busiest server pays the full load weight, the median
///   one nothing.
/// - A utilisation (0...1, or a percentage) is absolute: nothing up to the knee (default 0.7),
///   then rising steeply (quadratically) to the full weight at 1.0.
/// - Free WireGuard slots are absolute, for WireGuard servers only: none free leaves the server
///   out (``exclusion(_:)``); fewer than the threshold (default 10, or 5 % of a known total)
///   costs more as they run out; above it, nothing.
/// - Bounded: load and slots together never add more than the larger of 10 ms and 50 % of the
///   server's median RTT, so a figure breaks near-ties and flags full servers, but never hands
///   the pick to a server several times farther away.
package enum CapacityRules {
    /// A provider's load figures, for judging counts within it (median, busiest) and telling
    /// percentages from fractions.
    package struct ProviderLoads: Hashable, Sendable {
        /// The median count of the provider's servers that report one.
        package var median: Double
        /// The busiest server's count.
        package var maximum: Double
        /// Whether its utilisations are percentages (a value above 1 was seen).
        package var percent: Bool

        /// Figures of one provider.
        package init(median: Double, maximum: Double, percent: Bool) {
            self.median = median
            self.maximum = maximum
            self.percent = percent
        }
    }

    /// Every provider's load figures among `candidates` (keyed by provider; servers without one
    /// under the empty name).
    package static func providerLoads(_ candidates: UnsafeBufferPointer<Candidate>) -> [String: ProviderLoads] {
        var counts: [String: [Double]] = [:]
        var percent: [String: Bool] = [:]
        for candidate in candidates {
            guard let load = candidate.load, load.isFinite, load >= 0 else { continue }
            let provider = candidate.provider ?? ""
            switch candidate.loadKind ?? .count {
            case .count: counts[provider, default: []].append(load)
            case .utilisation: if load > 1 { percent[provider] = true }
            case .percent: percent[provider] = true
            }
        }
        var result: [String: ProviderLoads] = [:]
        for provider in Set(counts.keys).union(percent.keys) {
            let sorted = (counts[provider] ?? []).sorted()
            let median: Double
            if sorted.isEmpty {
                median = 0
            } else if sorted.count % 2 == 1 {
                median = sorted[sorted.count / 2]
            } else {
                median = (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            }
            result[provider] = ProviderLoads(median: median, maximum: sorted.last ?? 0, percent: percent[provider] ?? false)
        }
        return result
    }

    /// Why a candidate cannot be used whatever the filter: a WireGuard server with no free slot.
    package static func exclusion(_ candidate: borrowing Candidate) -> String? {
        guard isWireGuard(candidate.protocol), let free = candidate.wgAvailableSlots, free <= 0 else { return nil }
        return "no free WireGuard slot"
    }

    static func isWireGuard(_ name: String?) -> Bool {
        guard let name else { return false }
        return name == "wireguard" || name.lowercased() == "wireguard"
    }

    /// The load term (ms) and the rule that gave it.
    static func load(_ candidate: borrowing Candidate, loads: ProviderLoads?, weights: RankingWeights) -> (Double, String?) {
        guard let raw = candidate.load, raw.isFinite, raw >= 0, weights.loadPenaltyMilliseconds > 0 else { return (0, nil) }
        switch candidate.loadKind ?? .count {
        case .count:
            guard let loads, loads.maximum > loads.median else { return (0, nil) }
            let share = max(0, min(1, (raw - loads.median) / (loads.maximum - loads.median)))
            guard share > 0 else { return (0, nil) }
            return (weights.loadPenaltyMilliseconds * share,
                    "\(number(raw)) connections, above the provider's median of \(number(loads.median)) (busiest \(number(loads.maximum)))")
        case .utilisation, .percent:
            let isPercent = candidate.loadKind == .percent || loads?.percent == true
            let utilisation = min(1, isPercent ? raw / 100 : raw)
            let knee = min(max(weights.loadKnee, 0), 0.99)
            guard utilisation > knee else { return (0, nil) }
            let share = (utilisation - knee) / (1 - knee)
            return (weights.loadPenaltyMilliseconds * share * share,
                    "utilisation \(number(utilisation * 100))%, above the knee of \(number(knee * 100))%")
        }
    }

    /// The slots term (ms) and its rule: WireGuard servers only, below the threshold only.
    static func slots(_ candidate: borrowing Candidate, weights: RankingWeights) -> (Double, String?) {
        guard isWireGuard(candidate.protocol), let free = candidate.wgAvailableSlots, free > 0, weights.slotsPenaltyMilliseconds > 0 else {
            return (0, nil)
        }
        // `wg_slots` is a total only when it is at least the free count (the documented example
        // lists 253 free of "0").
        let total = candidate.wgSlots.flatMap { $0 >= free && $0 > 0 ? $0 : nil }
        let threshold = total.map { max(1, weights.slotsThresholdShare * Double($0)) } ?? weights.slotsThreshold
        guard threshold > 0, Double(free) < threshold else { return (0, nil) }
        let share = 1 - Double(free) / threshold
        let basis = total.map { "\(number(weights.slotsThresholdShare * 100))% of \($0)" } ?? "\(number(threshold))"
        return (weights.slotsPenaltyMilliseconds * share, "\(free) free WireGuard slot(s), below \(basis)")
    }

    /// The load and slots terms together before their bound (ms).
    package static func uncapped(_ candidate: borrowing Candidate, loads: ProviderLoads?, weights: RankingWeights) -> Double {
        let sane = weights.sanitized
        return load(candidate, loads: loads, weights: sane).0 + slots(candidate, weights: sane).0
    }

    /// The most capacity terms may add to a server of median `median` ms: the larger of
    /// ``RankingWeights/capacityCapMilliseconds`` and ``RankingWeights/capacityCapShare`` × median.
    package static func cap(median: Double, weights: RankingWeights) -> Double {
        func clean(_ value: Double) -> Double { value.isFinite && value > 0 ? value : 0 }
        return max(clean(weights.capacityCapMilliseconds), clean(weights.capacityCapShare) * (median.isFinite ? max(0, median) : 0))
    }

    static func number(_ value: Double) -> String { DecimalText.oneDecimal(value) }
}
