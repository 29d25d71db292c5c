import Testing
@testable import Ranking

/// Capacity figures break near-ties and flag full servers; they never hand the pick to a server
/// several times farther away, and a provider that reports more figures is not punished for it.
@Suite struct CapacityRulesTests {
    static func server(_ id: String, _ median: Double, provider: String, load: Double? = nil, kind: Candidate.LoadKind? = nil,
                       protocol name: String? = nil, free: Int? = nil, total: Int? = nil) -> Candidate {
        Candidate(id: id, status: .up, medianMilliseconds: median, p90Milliseconds: median, jitterMilliseconds: 0, loss: 0,
                  provider: provider, protocol: name, wgAvailableSlots: free, wgSlots: total, load: load, loadKind: kind)
    }

    /// The case a new user met: the fastest server by far, of a provider reporting connection
    /// counts (60, its busiest 67), against a 25.9 ms server of a provider reporting none.
    @Test func aCountAboveItsProvidersMedianBreaksNearTiesOnly() throws {
        var candidates = [Self.server("xm-1", 25.9, provider: "xm")]
        for (index, count) in [60.0, 67, 30, 20, 40, 38].enumerated() {
            candidates.append(Self.server("nm-\(index)", index == 0 ? 6 : 40, provider: "nm", load: count, kind: .count))
        }
        let ranked = Ranker.rank(candidates)
        #expect(ranked.first?.candidate.id == "nm-0")
        let terms = try #require(ranked.first?.terms)
        #expect(terms.load > 0 && terms.load <= 10 && terms.capped == true)
        #expect(terms.loadRule == "60 connections, above the provider's median of 39 (busiest 67)")
        // The provider's median server pays nothing.
        let median = try #require(ScoreTerms(Self.server("m", 10, provider: "nm", load: 38, kind: .count), weights: RankingWeights(),
                                             loads: CapacityRules.ProviderLoads(median: 38, maximum: 67, percent: false)))
        #expect(median.load == 0 && median.loadRule == nil)
        // Near a tie, the busiest loses to a quieter sibling 2 ms slower.
        let near = Ranker.rank([Self.server("busy", 10, provider: "nm", load: 67, kind: .count),
                                Self.server("calm", 12, provider: "nm", load: 20, kind: .count),
                                Self.server("mid", 30, provider: "nm", load: 38, kind: .count)])
        #expect(near.first?.candidate.id == "calm")
    }

    @Test(arguments: [(0.5, "fast"), (0.98, "near"), (50.0, "fast"), (98.0, "near")])
    func aUtilisationIsAbsoluteAboveTheKnee(load: Double, winner: String) {
        // 0.5 (or 50 %) costs nothing; 0.98 (or 98 %) loses to a server 3 ms slower.
        let ranked = Ranker.rank([Self.server("fast", 5, provider: "xp", load: load, kind: .utilisation),
                                  Self.server("near", 8, provider: "other")])
        #expect(ranked.first?.candidate.id == winner)
    }

    @Test(arguments: [(2, "far"), (40, "near"), (180, "near")])
    func freeWireGuardSlotsCountBelowTheThresholdOnly(free: Int, winner: String) {
        let ranked = Ranker.rank([Self.server("near", 5, provider: "vs", protocol: "wireguard", free: free),
                                  Self.server("far", 6, provider: "vs", protocol: "wireguard", free: 180)])
        #expect(ranked.first?.candidate.id == winner)
    }

    @Test func noFreeSlotIsLeftOutInEveryRankingAndSlotsAreWireGuardsAlone() throws {
        let ranked = Ranker.rank([Self.server("full", 1, provider: "vs", protocol: "WireGuard", free: 0, total: 250),
                                  Self.server("ovpn", 9, provider: "vs", protocol: "openvpn", free: 0, total: 250)])
        #expect(ranked.first?.candidate.id == "ovpn" && ranked.first?.terms?.slots == 0)
        #expect(ranked.last?.excluded == "no free WireGuard slot" && ranked.last?.score == nil)
        // The documented `"wg_available_slots": 253, "wg_slots": 0`: 0 is no total; 253 free costs nothing.
        let documented = try #require(ScoreTerms(Self.server("d", 5, provider: "vs", protocol: "wireguard", free: 253, total: 0), weights: RankingWeights()))
        #expect(documented.slots == 0)
        // 3 of 250: below 5 % of the total (12.5).
        let few = try #require(ScoreTerms(Self.server("f", 50, provider: "vs", protocol: "wireguard", free: 3, total: 250), weights: RankingWeights()))
        #expect(abs(few.slots - 30 * (1 - 3 / 12.5)) < 1e-9 && few.capped == nil)
    }

    /// With the default weights, capacity terms together never exceed the larger of 10 ms and
    /// half the median, whatever the figures.
    @Test func theBoundHoldsForAnyFigures() throws {
        var generator = SplitMix(seed: 5)
        for _ in 0..<2_000 {
            let median = Double(generator.next() % 400) / 4
            let kinds: [Candidate.LoadKind?] = [nil, .count, .utilisation, .percent]
            let candidate = Self.server("x", median, provider: "p", load: Double(generator.next() % 200), kind: kinds[Int(generator.next() % 4)],
                                        protocol: "wireguard", free: Int(generator.next() % 30) + 1, total: Int(generator.next() % 300))
            let loads = CapacityRules.ProviderLoads(median: Double(generator.next() % 50), maximum: Double(generator.next() % 200), percent: generator.next() % 2 == 0)
            let terms = try #require(ScoreTerms(candidate, weights: RankingWeights(), loads: loads))
            #expect(terms.load + terms.slots <= max(10, 0.5 * median) + 1e-9)
        }
    }

    /// More load or fewer free slots never improves the score.
    @Test(arguments: [Candidate.LoadKind.count, .utilisation, .percent])
    func monotoneInEachFigure(kind: Candidate.LoadKind) throws {
        let loads = CapacityRules.ProviderLoads(median: 20, maximum: 80, percent: kind == .percent)
        var previous = -1.0
        for step in 0...100 {
            let load = kind == .utilisation ? Double(step) / 100 : Double(step)
            let terms = try #require(ScoreTerms(Self.server("x", 30, provider: "p", load: load, kind: kind), weights: RankingWeights(), loads: loads))
            #expect(terms.total >= previous)
            previous = terms.total
        }
        previous = -1
        for free in stride(from: 300, through: 1, by: -1) {
            let terms = try #require(ScoreTerms(Self.server("x", 30, provider: "p", protocol: "wireguard", free: free, total: 300), weights: RankingWeights()))
            #expect(terms.total >= previous)
            previous = terms.total
        }
    }

    /// Duplicating a provider and dropping its load and slot figures does not change the pick
    /// at typical values: figures at or below a provider's median, utilisations under the knee,
    /// plenty of free slots.
    @Test(arguments: 0..<20)
    func aProviderThatReportsMoreIsNotPunishedForIt(seed: Int) {
        var generator = SplitMix(seed: UInt64(seed) + 900)
        var reporting: [Candidate] = []
        for index in 0..<12 {
            let median = 3 + Double(generator.next() % 60)
            let count = Double(generator.next() % 30)
            reporting.append(Self.server("r\(index)", median, provider: "r", load: index < 6 ? count : 30 + count, kind: .count,
                                         protocol: "wireguard", free: 20 + Int(generator.next() % 200)))
            reporting.append(Self.server("u\(index)", median + 0.5, provider: "u", load: Double(generator.next() % 70) / 100, kind: .utilisation))
        }
        // Only the servers at or below their provider's median count are typical: compare those.
        let loads = reporting.withUnsafeBufferPointer { CapacityRules.providerLoads($0) }
        let typical = reporting.filter { $0.loadKind != .count || ($0.load ?? 0) <= (loads["r"]?.median ?? 0) }
        let silent = typical.map { candidate -> Candidate in
            var copy = candidate
            copy.id = "silent-" + candidate.id
            copy.provider = "silent-" + (candidate.provider ?? "")
            copy.load = nil
            copy.wgAvailableSlots = nil
            return copy
        }
        // Every typical server scores exactly as its silent twin, so the pick is the same server
        // (or its twin, tied) with its figures and without them.
        let ranked = Ranker.rank(reporting + silent)
        for candidate in typical {
            let own = ranked.first { $0.candidate.id == candidate.id }?.score
            let twin = ranked.first { $0.candidate.id == "silent-" + candidate.id }?.score
            #expect(own != nil && own == twin, "\(candidate.id): \(own ?? -1) vs \(twin ?? -1)")
        }
        // When a typical server is the pick, its silent twin ties with it: the figures decided nothing.
        if let pick = ranked.first, typical.contains(where: { $0.id == pick.candidate.id }) {
            #expect(ranked.dropFirst().first?.score == pick.score)
        }
    }
}
