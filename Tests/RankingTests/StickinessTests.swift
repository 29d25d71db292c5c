import Foundation
import Testing
@testable import Ranking

@Suite struct StickinessTests {
    static func ranked(_ entries: [(String, Double?)], excluded: String? = nil) -> [RankedCandidate] {
        entries.enumerated().map { index, entry in
            // As Ranker does: a left-out candidate has no score.
            let left = index == entries.count - 1 ? excluded : nil
            return RankedCandidate(candidate: Candidate(id: entry.0, status: entry.1 == nil ? .down : .up, medianMilliseconds: entry.1, loss: 0),
                                   inputIndex: index, score: left == nil ? entry.1 : nil, rank: index + 1, excluded: left)
        }.sorted { ($0.score ?? .infinity) < ($1.score ?? .infinity) }
    }

    @Test(arguments: [
        (20.0, 15.0, false),   // 5 ms better: kept
        (20.0, 5.0, true),     // 15 ms better and a quarter: switched
        (20.0, 13.3, false),   // under 2/3 but only 6.7 ms better: kept
        (30.0, 20.0, true),    // exactly 10 ms better and exactly 2/3: switched
        (30.0, 20.01, false),  // just over 2/3: kept
        (100.0, 80.0, false),  // 20 ms better but 80 %: kept
    ])
    func hysteresisAtItsThresholds(incumbent: Double, challenger: Double, switches: Bool) {
        let decision = Stickiness.decide(ranked: Self.ranked([("inc", incumbent), ("new", challenger)]), state: StickyState(choice: "inc"))
        #expect(decision.switched == switches, "\(decision.reason)")
        #expect(decision.choice == (switches ? "new" : "inc"))
        #expect(decision.state.choice == decision.choice)
    }

    @Test func anIncumbentThatFailsIsReplaced() {
        #expect(Stickiness.decide(ranked: Self.ranked([("new", 50), ("inc", nil)]), state: StickyState(choice: "inc")).reason == "the incumbent did not answer")
        #expect(Stickiness.decide(ranked: Self.ranked([("new", 50)]), state: StickyState(choice: "inc")).reason == "the incumbent was not measured this run")
        let excluded = Stickiness.decide(ranked: Self.ranked([("new", 50), ("inc", 40)], excluded: "no free WireGuard slot"), state: StickyState(choice: "inc"))
        #expect(excluded.switched && excluded.reason == "the incumbent is left out: no free WireGuard slot")
        let ceiling = Stickiness.decide(ranked: Self.ranked([("inc", 260), ("new", 255)]), state: StickyState(choice: "inc"))
        #expect(ceiling.switched && ceiling.choice == "new")
        let first = Stickiness.decide(ranked: Self.ranked([("a", 5)]), state: StickyState())
        #expect(first.choice == "a" && first.reason == "first choice")
    }

    @Test func confirmingRunsBeforeASwitch() {
        let policy = StickyPolicy(confirmations: 3)
        var state = StickyState(choice: "inc")
        for run in 1...3 {
            let decision = Stickiness.decide(ranked: Self.ranked([("inc", 40), ("new", 5)]), state: state, policy: policy)
            #expect(decision.switched == (run == 3), "run \(run): \(decision.reason)")
            state = decision.state
        }
        #expect(state.choice == "new")
        // A different challenger starts the count again.
        state = StickyState(choice: "inc", pending: "other", pendingCount: 2)
        #expect(!Stickiness.decide(ranked: Self.ranked([("inc", 40), ("new", 5)]), state: state, policy: policy).switched)
    }

    @Test func historyKeepsTheLastRunsOfEachServer() {
        var state = StickyState(choice: "a")
        for run in 0..<12 {
            state.record([("a", .init(score: Double(run), median: Double(run), loss: 0)), ("b", .init(score: nil, median: nil, loss: 1))])
        }
        #expect(state.history["a"]?.map(\.score) == (4..<12).map { Double($0) })
        #expect(state.history["b"]?.count == StickyState.historyLength)
        #expect(state.typicalScore(of: "a") == 8)
        #expect(state.typicalScore(of: "b") == nil)
    }

    @Test func historyKeepsTheChoiceAndTheBestServersWhenFull() {
        var state = StickyState(choice: "slow")
        state.record([("slow", .init(score: 900, median: 900, loss: 0))])
        state.record((0..<300).map { ("s\($0)", StickyState.HistoryEntry(score: Double($0), median: Double($0), loss: 0)) })
        #expect(state.history.count == StickyState.historyServers)
        #expect(state.history["slow"] != nil && state.history["s0"] != nil && state.history["s299"] == nil)
    }

    @Test func aStateFileWithoutHistoryStillLoads() throws {
        let state = try JSONDecoder().decode(StickyState.self, from: Data(#"{"choice":"x","pendingCount":0}"#.utf8))
        #expect(state.choice == "x" && state.history.isEmpty)
    }

    @Test func theDecisionCarriesTheHistory() {
        var state = StickyState(choice: "inc")
        state.record([("inc", .init(score: 20, median: 20, loss: 0))])
        let decision = Stickiness.decide(ranked: Self.ranked([("inc", 20), ("new", 5)]), state: state)
        #expect(decision.state.history == state.history)
    }
}
