import Foundation
import Testing
@testable import Prober

/// The in-flight budget of one-shot sweeps (issue 27): sized from the rate and the probes' hold
/// times (Little's law), within the floor and the descriptor ceiling; and the state machine
/// following it, driven by a fake clock.
@Suite struct InFlightBudgetTests {
    typealias Machine = SweepStateMachine

    @Test func theSeedIsADistantServersRoundTripAtTheRate() {
        // 10,000 a second × 250 ms × 1.25 = 3,125 in flight before anything has ended.
        #expect(InFlightBudget(floor: 256, ceiling: 60_000, rate: 10_000, timeoutNanoseconds: 1_000_000_000).cap == 3_125)
        // A shorter timeout bounds the guess: 10,000 × 100 ms × 1.25.
        #expect(InFlightBudget(floor: 256, ceiling: 60_000, rate: 10_000, timeoutNanoseconds: 100_000_000).cap == 1_250)
        // A slow rate needs no more than the floor.
        #expect(InFlightBudget(floor: 256, ceiling: 60_000, rate: 100, timeoutNanoseconds: 1_000_000_000).cap == 256)
        // No rate (--rate 0) gives no basis: the floor.
        #expect(InFlightBudget(floor: 256, ceiling: 60_000, rate: 0, timeoutNanoseconds: 1_000_000_000).cap == 256)
        // The descriptor ceiling bounds everything, the floor included.
        #expect(InFlightBudget(floor: 256, ceiling: 1_000, rate: 10_000, timeoutNanoseconds: 1_000_000_000).cap == 1_000)
        #expect(InFlightBudget(floor: 256, ceiling: 100, rate: 10_000, timeoutNanoseconds: 1_000_000_000).cap == 100)
    }

    @Test func itGrowsWithTheHoldTimesSeenAndNeverShrinks() {
        var budget = InFlightBudget(floor: 256, ceiling: 60_000, rate: 10_000, timeoutNanoseconds: 1_000_000_000)
        // Answers at 100 ms: the mean is below the seed, nothing changes.
        for _ in 0..<100 {
            let grown = budget.ended(heldNanoseconds: 100_000_000)
            #expect(grown == nil)
        }
        #expect(budget.cap == 3_125)
        // Then timeouts (1 s): the mean climbs, and the cap with it.
        var grown: [Int] = []
        for _ in 0..<100 { if let cap = budget.ended(heldNanoseconds: 1_000_000_000) { grown.append(cap) } }
        // Mean hold 550 ms: 10,000 × 0.55 × 1.25 = 6,875.
        #expect(budget.cap == 6_875 && grown.last == 6_875 && grown == grown.sorted())
        // Fast answers again lower the mean, not the cap.
        for _ in 0..<1_000 { _ = budget.ended(heldNanoseconds: 1_000_000) }
        #expect(budget.cap == 6_875)
    }

    @Test func theMachineStartsMoreOnceHoldTimesShowTheRateNeedsIt() {
        let start = MonotonicInstant(nanoseconds: 1_000_000_000)
        func at(_ ms: Double) -> MonotonicInstant { start.advanced(byNanoseconds: UInt64(ms * 1_000_000)) }
        // 2,000 targets at 1,000 a second, probes held 1 s: 1,000 × 1 s × 1.25 = 1,250 needed,
        // the seed (250 ms) gives 313, more than the floor of 64.
        var machine = Machine(targetCount: 2_000, options: ProbeOptions(rate: 1_000, timeoutMilliseconds: 1_000, samples: 1), cap: 64, start: start)
        machine.setBudget(InFlightBudget(floor: 64, ceiling: 10_000, rate: 1_000, timeoutNanoseconds: 1_000_000_000))
        #expect(machine.cap == 313)
        // Start as fast as the rate allows for 600 ms; nothing answers: the cap holds starts at 313.
        var handles: [(Machine.ProbeHandle, MonotonicInstant)] = []
        var now = 0.0
        while now < 600 {
            while case .start(let handle, _, _) = machine.nextAction(now: at(now)) { handles.append((handle, at(now))) }
            now += 1
        }
        #expect(machine.inFlight == 313 && handles.count == 313)
        // The first hundred end after 1 s each (timeouts, reported at their end): the cap grows.
        for (handle, began) in handles.prefix(100) {
            _ = machine.complete(handle, sample: ProbeSample(index: 0, outcome: .timeout), now: began.advanced(byNanoseconds: 1_000_000_000))
        }
        #expect(machine.cap == 1_250)
        // A user's cap (no budget) stays where it is.
        var fixed = Machine(targetCount: 2_000, options: ProbeOptions(rate: 1_000, timeoutMilliseconds: 1_000, samples: 1), cap: 64, start: start)
        var fixedHandles: [Machine.ProbeHandle] = []
        while case .start(let handle, _, _) = fixed.nextAction(now: at(600)) { fixedHandles.append(handle) }
        for handle in fixedHandles { _ = fixed.complete(handle, sample: ProbeSample(index: 0, outcome: .timeout), now: at(1_600)) }
        #expect(fixed.cap == 64)
    }

    @Test func runningOutOfDescriptorsStopsTheGrowthForGood() {
        let start = MonotonicInstant(nanoseconds: 1_000_000_000)
        var machine = Machine(targetCount: 100, options: ProbeOptions(rate: 10_000, timeoutMilliseconds: 1_000, samples: 1), cap: 16, start: start)
        machine.setBudget(InFlightBudget(floor: 16, ceiling: 10_000, rate: 10_000, timeoutNanoseconds: 1_000_000_000))
        var handles: [Machine.ProbeHandle] = []
        for step in 0..<20 {
            if case .start(let handle, _, _) = machine.nextAction(now: start.advanced(byNanoseconds: UInt64(step) * 1_000_000)) { handles.append(handle) }
        }
        #expect(handles.count == 20)
        // EMFILE on the last: the cap drops to what is in flight and the budget is gone.
        let requeued = machine.requeue(handles[19], now: start)
        #expect(requeued)
        #expect(machine.cap == 19 && machine.budget == nil)
        _ = machine.complete(handles[0], sample: ProbeSample(index: 0, outcome: .timeout), now: start.advanced(byNanoseconds: 5_000_000_000))
        #expect(machine.cap == 19)
    }

    @Test func aConfigurationsMaxInFlightIsAHardCapUnlessItSaysOtherwise() throws {
        let decoder = JSONDecoder()
        #expect(try decoder.decode(ProbeOptions.self, from: Data(#"{}"#.utf8)).growsInFlight)
        #expect(try !decoder.decode(ProbeOptions.self, from: Data(#"{"maxInFlight": 64}"#.utf8)).growsInFlight)
        #expect(try decoder.decode(ProbeOptions.self, from: Data(#"{"maxInFlight": 64, "growsInFlight": true}"#.utf8)).growsInFlight)
    }
}
