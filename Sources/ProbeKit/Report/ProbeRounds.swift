/// When each periodic round starts: round `k` at `k × period` after the start, never two at once.
///
/// Pure (the swift-async-algorithms style): no clock, offsets in and decisions out, so the
/// schedule is tested without sleeping. A round that could not start on time because the previous
/// one was still running is skipped, not started late, so reports keep their rhythm.
public struct RoundSchedule: Hashable, Sendable {
    /// Time between the starts of two rounds.
    public let period: Duration
    /// Rounds to run (`nil`: until stopped).
    public let count: Int?
    /// The next round's index (0 first).
    public private(set) var next = 0
    /// Rounds run so far.
    public private(set) var started = 0

    /// A schedule.
    public init(period: Duration, count: Int? = nil) {
        self.period = period
        self.count = count
    }

    /// What to do next, given that the previous round ended `elapsed` after the schedule's start
    /// (`nil` before the first round).
    public mutating func nextRound(elapsed: Duration?) -> Decision {
        if let count, started >= count { return .finished }
        var index = next
        var skipped = 0
        if let elapsed, period > .zero {
            // The first scheduled start not yet passed (a start exactly now is still on time).
            while period * index < elapsed {
                index += 1
                skipped += 1
            }
        }
        next = index + 1
        started += 1
        return .start(index: index, at: period * index, skipped: skipped)
    }

    /// What ``nextRound(elapsed:)`` decides.
    public enum Decision: Hashable, Sendable {
        /// Start round `index` at offset `at` from the schedule's start; `skipped` rounds before it were skipped.
        case start(index: Int, at: Duration, skipped: Int)
        /// Every round ran.
        case finished
    }
}

/// One periodic round: its report and when it ran.
public struct ProbeRound: Sendable {
    /// The round's index in the schedule (0 first; skipped rounds leave gaps).
    public var index: Int
    /// Rounds skipped just before this one because the previous round overran its period.
    public var skipped: Int
    /// When it was due, from the schedule's start.
    public var scheduledAt: Duration
    /// When it actually started, from the schedule's start (the clock's wake-up is never early).
    public var startedAt: Duration
    /// The result (or why the whole round failed).
    public var result: Result<ProbeReport, ProbeClientError>
}

/// Periodic rounds as an `AsyncSequence` (see ``ProbeClient/rounds(every:count:clock:)``).
/// Each iteration runs at most one round at a time; cancelling the iterating task stops the
/// round in progress and ends the sequence.
public struct ProbeRounds<C: Clock>: AsyncSequence, Sendable where C.Duration == Duration {
    /// A round.
    public typealias Element = ProbeRound
    /// Rounds never throw: a round's failure is in its ``ProbeRound/result``.
    public typealias Failure = Never

    let period: Duration
    let count: Int?
    let clock: C
    let body: @Sendable () async throws(ProbeClientError) -> ProbeReport

    init(period: Duration, count: Int?, clock: C, body: @escaping @Sendable () async throws(ProbeClientError) -> ProbeReport) {
        self.period = period
        self.count = count
        self.clock = clock
        self.body = body
    }

    /// Starts the schedule on the first `next()`.
    public func makeAsyncIterator() -> Iterator {
        Iterator(rounds: self, schedule: RoundSchedule(period: period, count: count))
    }

    /// Runs rounds on schedule.
    public struct Iterator: AsyncIteratorProtocol {
        let rounds: ProbeRounds
        var schedule: RoundSchedule
        var origin: C.Instant?
        var lastEnd: Duration?

        /// The next round, once it has run; `nil` after the last one or when cancelled.
        public mutating func next() async -> ProbeRound? {
            if Task.isCancelled { return nil }
            let origin = self.origin ?? rounds.clock.now
            self.origin = origin
            guard case .start(let index, let offset, let skipped) = schedule.nextRound(elapsed: lastEnd) else { return nil }
            do {
                try await rounds.clock.sleep(until: origin.advanced(by: offset), tolerance: nil)
            } catch {
                return nil  // cancelled while waiting
            }
            let startedAt = origin.duration(to: rounds.clock.now)
            let result: Result<ProbeReport, ProbeClientError>
            do {
                result = .success(try await rounds.body())
            } catch {
                if error.code == .cancelled || Task.isCancelled { return nil }
                result = .failure(error)
            }
            lastEnd = origin.duration(to: rounds.clock.now)
            return ProbeRound(index: index, skipped: skipped, scheduledAt: offset, startedAt: startedAt, result: result)
        }
    }
}
