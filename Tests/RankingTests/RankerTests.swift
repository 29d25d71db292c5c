import Testing
@testable import Ranking

@Suite struct RankerTests {
    static func up(_ id: String, _ median: Double, loss: Double = 0, p90: Double? = nil) -> Candidate {
        Candidate(id: id, status: .up, medianMilliseconds: median, p90Milliseconds: p90 ?? median, jitterMilliseconds: 0, loss: loss)
    }

    @Test func upBeforeClosedBeforeDown() {
        let ranked = Ranker.rank([
            Candidate(id: "down", status: .down, medianMilliseconds: nil, loss: 1),
            Candidate(id: "closed", status: .closed, medianMilliseconds: 1, loss: 0),
            Self.up("up", 200),
        ])
        #expect(ranked.map(\.candidate.id) == ["up", "closed", "down"])
        #expect(ranked.map(\.rank) == [1, 2, 3])
        #expect(ranked[2].score == nil)
    }

    @Test func lowerMedianWinsAndLossIsPenalised() {
        let ranked = Ranker.rank([Self.up("slow", 60), Self.up("fast-lossy", 20, loss: 1.0 / 3), Self.up("fast", 25)])
        #expect(ranked.map(\.candidate.id) == ["fast", "slow", "fast-lossy"])
        #expect(Ranker.score(Self.up("x", 20, loss: 0.5), weights: RankingWeights(lossPenaltyMilliseconds: 100)) == 70)
    }

    @Test(arguments: 0..<20)
    func orderOfInputNeverChangesTheRanking(seed: Int) {
        var generator = SplitMix(seed: UInt64(seed))
        let candidates = (0..<40).map { index in
            // Few distinct values, so ties are frequent.
            Self.up("s\(index)", Double(generator.next() % 5), loss: Double(generator.next() % 3) / 3, p90: Double(generator.next() % 3))
        }
        let reference = Ranker.rank(candidates).map(\.candidate.id)
        var shuffled = candidates
        shuffled.shuffle(using: &generator)
        #expect(Ranker.rank(shuffled).map(\.candidate.id) == reference)
        #expect(Ranker.rank(candidates).map(\.candidate.id) == reference)  // deterministic
    }

    @Test(arguments: [(10.0, 0.0), (10.0, 0.5), (250.0, 0.0), (0.01, 1.0 / 3)] as [(Double, Double)])
    func scoreIsMonotone(median: Double, loss: Double) throws {
        let base = try #require(Ranker.score(Self.up("a", median, loss: loss)))
        let worseRTT = try #require(Ranker.score(Self.up("a", median + 1, loss: loss)))
        let worseLoss = try #require(Ranker.score(Self.up("a", median, loss: min(1, loss + 0.1))))
        #expect(worseRTT > base)
        #expect(worseLoss >= base)
    }

    @Test func bestSkipsTargetsThatDidNotAnswer() {
        #expect(Ranker.best([Candidate(id: "x", status: .down, medianMilliseconds: nil, loss: 1)]) == nil)
        #expect(Ranker.best([Self.up("a", 5), Self.up("b", 3)])?.candidate.id == "b")
    }

    @Test func nonFiniteInputsDoNotWin() {
        let ranked = Ranker.rank([Self.up("nan", .nan), Self.up("ok", 100), Self.up("inf-loss", 1, loss: .infinity)])
        #expect(ranked[0].candidate.id == "ok")
    }
}

/// A small deterministic generator for reproducible property tests.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
