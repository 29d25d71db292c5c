import Testing
@testable import Ranking

@Suite struct ScoreTermsTests {
    static func candidate(median: Double = 20, p90: Double = 25, jitter: Double = 2, loss: Double = 0.1, load: Double? = 0.5,
                          free: Int? = 10, slots: Int? = 100) -> Candidate {
        Candidate(id: "x", status: .up, medianMilliseconds: median, p90Milliseconds: p90, jitterMilliseconds: jitter, loss: loss,
                  protocol: "wireguard", wgAvailableSlots: free, wgSlots: slots, load: load)
    }

    @Test func termsAddUpWithTheDefaultWeights() throws {
        // A count without its provider's figures, 10 of 100 slots free (above 5 % of them): no capacity term.
        let terms = try #require(ScoreTerms(Self.candidate(), weights: RankingWeights()))
        #expect(terms.median == 20 && terms.loss == 50 && terms.jitter == 1 && terms.tail == 1.25 && terms.load == 0 && terms.slots == 0)
        #expect(abs(terms.total - 72.25) < 1e-9)
        // A utilisation of 0.85 (half-way from the knee: a quarter of 30 ms) and 2 of 100 slots
        // free (below 5: 60 % of 30 ms); together 25.5 ms, cut to the bound of 10 ms.
        var busy = Self.candidate(load: 0.85, free: 2)
        busy.loadKind = .utilisation
        let capped = try #require(ScoreTerms(busy, weights: RankingWeights()))
        #expect(abs(capped.load + capped.slots - 10) < 1e-9 && capped.capped == true)
        #expect(abs(capped.load - 7.5 * 10 / 25.5) < 1e-9)
        #expect(capped.loadRule == "utilisation 85%, above the knee of 70%" && capped.slotsRule == "2 free WireGuard slot(s), below 5% of 100")
    }

    /// Worsening any one figure never improves the score, whatever the weights.
    @Test(arguments: [RankingWeights(), RankingWeights(lossPenaltyMilliseconds: 0, jitterWeight: 0, tailWeight: 0),
                      RankingWeights(lossPenaltyMilliseconds: 10_000, jitterWeight: 5, tailWeight: 3, loadPenaltyMilliseconds: 0)])
    func monotoneInEveryFigure(weights: RankingWeights) throws {
        var generator = SplitMix(seed: 11)
        for _ in 0..<500 {
            let median = Double(generator.next() % 300), p90 = median + Double(generator.next() % 50)
            let base = Self.candidate(median: median, p90: p90, jitter: Double(generator.next() % 20),
                                      loss: Double(generator.next() % 10) / 10, load: Double(generator.next() % 10) / 10,
                                      free: Int(generator.next() % 101), slots: 100)
            let score = try #require(Ranker.score(base, weights: weights))
            var worse = base
            worse.medianMilliseconds = median + 1
            worse.p90Milliseconds = p90 + 1
            #expect(try #require(Ranker.score(worse, weights: weights)) >= score)
            worse = base
            worse.p90Milliseconds = p90 + 5
            #expect(try #require(Ranker.score(worse, weights: weights)) >= score)
            worse = base
            worse.jitterMilliseconds = (base.jitterMilliseconds ?? 0) + 1
            #expect(try #require(Ranker.score(worse, weights: weights)) >= score)
            worse = base
            worse.loss = min(1, base.loss + 0.1)
            #expect(try #require(Ranker.score(worse, weights: weights)) >= score)
        }
    }

    @Test func negativeWeightsCannotBreakMonotonicity() throws {
        let weights = RankingWeights(lossPenaltyMilliseconds: -100, jitterWeight: -1, tailWeight: .nan)
        let better = try #require(Ranker.score(Self.candidate(loss: 0), weights: weights))
        let worse = try #require(Ranker.score(Self.candidate(loss: 0.5), weights: weights))
        #expect(worse >= better)
    }

    @Test(arguments: [
        (CandidateFilter(countries: ["de"]), "country NL is not de"),
        (CandidateFilter(providers: ["vs"]), "provider xm is not vs"),
        (CandidateFilter(protocols: ["openvpn"]), "protocol wireguard is not openvpn"),
        (CandidateFilter(excluded: ["ams*"]), "excluded by 'ams*'"),
    ])
    func filtersSayWhy(filter: CandidateFilter, reason: String) {
        let full = Candidate(id: "198.18.1.1:443", status: .up, medianMilliseconds: 5, loss: 0, provider: "xm", country: "NL",
                             protocol: "wireguard", wgAvailableSlots: 5, wgSlots: 10, names: ["Amsterdam 1"])
        #expect(filter.exclusion(full) == reason)
        let allowed = Candidate(id: "b", status: .up, medianMilliseconds: 50, loss: 0, provider: "vs", country: "DE",
                                protocol: "openvpn", names: ["Berlin"])
        let ranked = Ranker.rank([full, allowed], filter: filter)
        let entry = ranked.first { $0.candidate.id == full.id }
        #expect(entry?.excluded == reason && entry?.score == nil)
        if filter.exclusion(allowed) == nil { #expect(ranked.last?.candidate.id == full.id) }  // left-out ones come last
    }

    @Test(arguments: 0..<10)
    func filteredRankingIsOrderIndependent(seed: Int) {
        var generator = SplitMix(seed: UInt64(seed) + 100)
        let candidates = (0..<30).map { index in
            Candidate(id: "s\(index)", status: .up, medianMilliseconds: Double(generator.next() % 5), loss: 0,
                      country: ["DE", "NL"][Int(generator.next() % 2)], protocol: ["wireguard", "openvpn"][Int(generator.next() % 2)],
                      wgAvailableSlots: Int(generator.next() % 3), wgSlots: 2)
        }
        let filter = CandidateFilter(countries: ["DE"], protocols: ["wireguard"])
        let reference = Ranker.rank(candidates, filter: filter).map(\.candidate.id)
        var shuffled = candidates
        shuffled.shuffle(using: &generator)
        #expect(Ranker.rank(shuffled, filter: filter).map(\.candidate.id) == reference)
    }

    @Test(arguments: [("amsterdam-1", "ams*", true), ("Amsterdam-1", "*dam*", true), ("paris", "ams*", false), ("a", "*", true), ("abc", "a*c", true), ("abd", "a*c", false)])
    func wildcards(text: String, pattern: String, matches: Bool) {
        #expect(CandidateFilter.matches(text, pattern) == matches)
    }
}
