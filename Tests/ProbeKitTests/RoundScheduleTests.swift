import Foundation
import Synchronization
import Testing
@testable import ProbeKit

/// Periodic timing: the pure schedule, and the rounds driven by an injected clock (no sleeping).
@Suite struct RoundScheduleTests {
    @Test func roundsStartOnTheirScheduleWhenOnTime() {
        var schedule = RoundSchedule(period: .seconds(60), count: 3)
        #expect(schedule.nextRound(elapsed: nil) == .start(index: 0, at: .zero, skipped: 0))
        #expect(schedule.nextRound(elapsed: .seconds(5)) == .start(index: 1, at: .seconds(60), skipped: 0))
        #expect(schedule.nextRound(elapsed: .seconds(60)) == .start(index: 2, at: .seconds(120), skipped: 0))
        #expect(schedule.nextRound(elapsed: .seconds(125)) == .finished)
    }

    @Test(arguments: [
        (Duration.seconds(60), 0, 1),    // ended exactly when round 1 is due: on time
        (Duration.seconds(61), 1, 2),    // round 1 was due at 60 s: skipped; round 2 at 120 s
        (Duration.seconds(120), 1, 2),   // round 2 due right now: on time, round 1 skipped
        (Duration.seconds(250), 4, 5),   // rounds 1 to 4 skipped; round 5 at 300 s
    ])
    func aSlowRoundSkipsTheRoundsItOverran(elapsed: Duration, skipped: Int, index: Int) {
        var schedule = RoundSchedule(period: .seconds(60))
        _ = schedule.nextRound(elapsed: nil)
        #expect(schedule.nextRound(elapsed: elapsed) == .start(index: index, at: .seconds(60) * index, skipped: skipped))
    }

    @Test func withoutACountItRunsOn() {
        var schedule = RoundSchedule(period: .milliseconds(10))
        for round in 0..<1_000 {
            #expect(schedule.nextRound(elapsed: round == 0 ? nil : .milliseconds(10 * round - 5)) == .start(index: round, at: .milliseconds(10 * round), skipped: 0))
        }
    }

    @Test func roundsFollowTheInjectedClock() async {
        let clock = ManualClock()
        // Each round "takes" 25 s of the manual clock: on time for a 60 s period...
        let rounds = ProbeRounds(period: .seconds(60), count: 3, clock: clock) {
            clock.advance(by: .seconds(25))
            return ProbeReport(best: nil, ranked: [], errors: [], elapsedMs: 25_000)
        }
        var seen: [(Int, Duration, Int)] = []
        for await round in rounds { seen.append((round.index, round.startedAt, round.skipped)) }
        #expect(seen.map(\.0) == [0, 1, 2] && seen.map(\.1) == [.zero, .seconds(60), .seconds(120)] && seen.allSatisfy { $0.2 == 0 })
        // ...and 70 s rounds overrun it: every other round is skipped, the rest start on schedule.
        let clock2 = ManualClock()
        let overrun = ProbeRounds(period: .seconds(60), count: 3, clock: clock2) {
            clock2.advance(by: .seconds(70))
            return ProbeReport(best: nil, ranked: [], errors: [], elapsedMs: 70_000)
        }
        var late: [(Int, Duration, Int)] = []
        for await round in overrun { late.append((round.index, round.startedAt, round.skipped)) }
        #expect(late.map(\.0) == [0, 2, 4] && late.map(\.1) == [.zero, .seconds(120), .seconds(240)] && late.map(\.2) == [0, 1, 1])
    }

    @Test func cancellingStopsTheRounds() async {
        let clock = ManualClock(frozen: true)
        let rounds = ProbeRounds(period: .seconds(60), count: nil, clock: clock) {
            ProbeReport(best: nil, ranked: [], errors: [], elapsedMs: 0)
        }
        let count = await withTaskGroup(of: Int.self) { group in
            group.addTask {
                var count = 0
                for await _ in rounds { count += 1 }
                return count
            }
            // The second round waits for the manual clock forever: cancel it.
            try? await Task.sleep(for: .milliseconds(50))
            group.cancelAll()
            return await group.next() ?? -1
        }
        #expect(count == 1)
    }
}

/// A clock that moves only when told: `sleep(until:)` returns at once once the deadline is reached
/// (it advances the clock to it), so rounds run without waiting. A sleep past "now" with nobody to
/// advance would wait forever, so it advances too, like a simulation clock; cancellation ends it.
final class ManualClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    private let current = Mutex(Duration.zero)
    private let frozen: Bool

    /// A clock at zero; `frozen` makes sleeps wait (until cancelled) instead of jumping ahead.
    init(frozen: Bool = false) { self.frozen = frozen }

    var now: Instant { Instant(offset: current.withLock { $0 }) }
    var minimumResolution: Duration { .nanoseconds(1) }

    func advance(by duration: Duration) { current.withLock { $0 += duration } }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        if deadline <= now { return }
        if frozen {
            while true {
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        current.withLock { $0 = max($0, deadline.offset) }
    }
}
