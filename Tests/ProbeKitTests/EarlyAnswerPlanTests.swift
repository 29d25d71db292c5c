import Testing
@testable import ProbeKit

/// Every rule of the early answer at its threshold, without sockets, TUN or sleeping.
@Suite struct EarlyAnswerPlanTests {
    typealias Plan = EarlyAnswerPlan
    static func plan(finalists: Int = 16, timeout: Int = 1_000) -> Plan {
        Plan(options: EarlyAnswerOptions(cutoffFactor: 1.5, cutoffMarginMilliseconds: 5, maximumFinalists: finalists), timeoutMilliseconds: timeout)
    }

    @Test func theFirstAnswerIsAFinalistAndSetsTheCutoff() {
        var plan = Self.plan()
        #expect(plan.firstRoundAnswer(.init(target: 0, score: 10)) == [.measure(target: 0, timeoutMilliseconds: 60)])  // 3 × (1.5 × 10 + 5)
        #expect(plan.cutoff == 20)
    }

    /// Within the cutoff in force: a finalist; beyond it: not (20 is the threshold).
    @Test(arguments: [(19.9, true), (20.0, true), (20.1, false)])
    func aScoreWithinTheCutoffIsAFinalist(score: Double, finalist: Bool) {
        var plan = Self.plan()
        _ = plan.firstRoundAnswer(.init(target: 0, score: 10))
        let actions = plan.firstRoundAnswer(.init(target: 1, score: score))
        #expect(actions.isEmpty != finalist)
    }

    @Test func theCutoffOnlyTightens() {
        var plan = Self.plan()
        _ = plan.firstRoundAnswer(.init(target: 0, score: 10))
        _ = plan.firstRoundAnswer(.init(target: 1, score: 30))
        #expect(plan.cutoff == 20)
        _ = plan.firstRoundAnswer(.init(target: 2, score: 2))
        #expect(plan.cutoff == 8)
    }

    /// Past the cap only a new leader is launched.
    @Test(arguments: [(5.0, true), (10.0, false), (9.99, true)])
    func pastTheCapOnlyANewLeader(score: Double, launched: Bool) {
        var plan = Self.plan(finalists: 2)
        _ = plan.firstRoundAnswer(.init(target: 0, score: 10))
        _ = plan.firstRoundAnswer(.init(target: 1, score: 11))
        #expect(plan.finalists.count == 2)
        #expect(!plan.firstRoundAnswer(.init(target: 2, score: score)).isEmpty == launched)
    }

    @Test func theIncumbentAndPromisingServersGetTheFullTimeout() {
        var plan = Self.plan(finalists: 3, timeout: 800)
        _ = plan.firstRoundAnswer(.init(target: 0, score: 4))
        // The incumbent, however slow its first answer, past the cap.
        #expect(plan.firstRoundAnswer(.init(target: 1, score: 50, incumbent: true)) == [.measure(target: 1, timeoutMilliseconds: 800)])
        // History within the cutoff (11): measured; beyond it: not; not eligible: never.
        #expect(plan.firstRoundAnswer(.init(target: 2, score: nil, typicalScore: 11)) == [.measure(target: 2, timeoutMilliseconds: 800)])
        #expect(plan.firstRoundAnswer(.init(target: 3, score: nil, typicalScore: 11.5)).isEmpty)
        #expect(plan.firstRoundAnswer(.init(target: 4, score: nil, eligible: false, incumbent: true)).isEmpty)
        // Unresolved: never measured.
        #expect(plan.firstRoundAnswer(.init(target: 5, score: nil, resolved: false, incumbent: true)).isEmpty)
    }

    /// The finalist timeout clamp: min(timeout, max(30, 3 × cutoff)).
    @Test(arguments: [(1_000, 5.0, 30), (1_000, 20.0, 60), (40, 20.0, 40), (1_000, 400.0, 1_000)])
    func theFinalistTimeoutClamp(timeout: Int, cutoff: Double, expected: Int) {
        #expect(Plan.finalistTimeout(timeout: timeout, cutoff: cutoff) == expected)
    }

    @Test func finalistsBeyondTheFinalCutoffAreDroppedAndThePlanFinishes() {
        var plan = Self.plan()
        _ = plan.firstRoundAnswer(.init(target: 0, score: 30))  // cutoff 50
        _ = plan.firstRoundAnswer(.init(target: 1, score: 40))  // within 50: launched
        _ = plan.firstRoundAnswer(.init(target: 2, score: 8))   // cutoff 17
        #expect(plan.finalistResult(2).isEmpty)                 // the first round goes on
        #expect(plan.firstRoundComplete() == [.drop(target: 0), .drop(target: 1), .finish])
        #expect(plan.finalists == [2] && plan.finished)         // target 2 was already final
        #expect(plan.firstRoundAnswer(.init(target: 3, score: 1)).isEmpty)  // nothing after the finish
    }

    @Test func thePlanWaitsForEveryFinalist() {
        var plan = Self.plan()
        _ = plan.firstRoundAnswer(.init(target: 0, score: 10))
        _ = plan.firstRoundAnswer(.init(target: 1, score: 12))
        #expect(plan.firstRoundComplete().isEmpty)
        #expect(plan.finalistResult(0).isEmpty)
        #expect(plan.finalistResult(0).isEmpty)  // twice: nothing
        #expect(plan.finalistResult(1) == [.finish])
    }

    @Test func noAnswerAtAllFinishesAtOnce() {
        var plan = Self.plan()
        #expect(plan.firstRoundAnswer(.init(target: 0, score: nil)).isEmpty)
        #expect(plan.firstRoundComplete() == [.finish])
    }
}
