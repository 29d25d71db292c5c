/// How many probes a one-shot sweep keeps in flight, sized from the work instead of a constant.
///
/// Little's law: to start `rate` probes a second when each holds its socket for `W` on average,
/// `rate × W` must be open at once. With the old constant (256) and servers 50–250 ms away,
/// 10,000 servers could start only ~1,700 probes a second whatever `--rate` allowed. The budget
/// starts from a guess of `W` (the round trip of a distant server, 250 ms, or the timeout if
/// shorter), then follows the hold times of the probes that end (answers and timeouts alike):
/// the cap is `rate × mean hold × 1.25` (a quarter more for the spread of hold times), never
/// below the starting cap, never above the descriptor ceiling, and it only grows.
///
/// Pure: no clock and no I/O; the sweep reports each probe's end (``ended(heldNanoseconds:)``)
/// and reads ``cap``. A user's `--max-in-flight` is a hard cap: no budget is made for it.
package struct InFlightBudget: Hashable, Sendable {
    /// The hold time assumed before any probe ended: a distant server's round trip.
    package static let seedHoldNanoseconds: UInt64 = 250_000_000
    /// Headroom over the mean hold time.
    package static let headroom = 1.25
    /// Sweeps of at most this many probes keep the starting cap: they end in a few round trips
    /// at 256 in flight, and a burst would only add queueing to their measurements.
    package static let minimumProbes = 1_000
    /// The most probes a sweep keeps in flight: ICMP sequence numbers stay unique among 65,536,
    /// and no descriptor limit a process gets is near it.
    package static let maximumInFlight = 65_536

    /// The cap never goes below this (the starting cap: the default in-flight limit).
    package let floor: Int
    /// The cap never goes above this (what the descriptor limit leaves, and 65,536).
    package let ceiling: Int
    /// Starts per second (the rate the sweep may not exceed).
    package let rate: Int
    /// The cap now.
    package private(set) var cap: Int
    /// Probes that ended so far, and their summed hold time.
    package private(set) var ended = 0
    private var heldSum: Double = 0

    /// A budget for a sweep at `rate` starts a second (0: unlimited, which gives no basis for a
    /// size: the cap stays at `floor`), probes timing out after `timeoutNanoseconds`.
    package init(floor: Int, ceiling: Int, rate: Int, timeoutNanoseconds: UInt64) {
        self.ceiling = max(1, ceiling)
        self.floor = min(max(1, floor), self.ceiling)
        self.rate = max(0, rate)
        cap = self.floor
        cap = size(holdNanoseconds: Double(min(timeoutNanoseconds, Self.seedHoldNanoseconds)))
    }

    /// A probe ended `heldNanoseconds` after it started (its answer, error or timeout). Returns
    /// the cap when it grew.
    package mutating func ended(heldNanoseconds: UInt64) -> Int? {
        ended += 1
        heldSum += Double(heldNanoseconds)
        let grown = size(holdNanoseconds: heldSum / Double(ended))
        guard grown > cap else { return nil }
        cap = grown
        return grown
    }

    /// What `rate` needs when probes hold for `holdNanoseconds`, within floor and ceiling; never
    /// below the cap now.
    private func size(holdNanoseconds: Double) -> Int {
        guard rate > 0 else { return cap }
        let needed = Double(rate) * holdNanoseconds / 1e9 * Self.headroom
        let bounded = needed.isFinite ? min(Double(ceiling), needed.rounded(.up)) : Double(ceiling)
        return max(cap, min(ceiling, max(floor, Int(bounded))))
    }
}
