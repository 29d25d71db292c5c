/// What one sweep may use, resolved once from its options and its machine and carried down
/// unchanged: the per-probe timeout and the sample interval (as `Duration`, and on the reactor's
/// clock), and the probes in flight: what was asked, where the sweep starts, the most it may
/// reach, whether it grows with the work (``InFlightBudget``), and why the start differs from
/// what was asked. The sweep's summary carries the figures (`max_in_flight`,
/// `max_in_flight_reason`), so nothing downstream works them out again.
///
/// Pure: the descriptor room and the work are inputs (the sweep reads them once).
package struct SweepBudget: Hashable, Sendable {
    /// The per-probe timeout.
    package var timeout: Duration
    /// The per-probe timeout on the reactor's clock.
    package var timeoutNanoseconds: UInt64
    /// The least time between the starts of two samples of one target, on the reactor's clock.
    package var intervalNanoseconds: UInt64
    /// The in-flight figure the options ask for: the user's hard cap (`--max-in-flight`), or the
    /// starting point when the sweep may grow.
    package var requestedInFlight: Int
    /// Where the sweep starts: the request, within the ceiling.
    package var inFlight: Int
    /// The most the sweep may have in flight: what the descriptor limit leaves (for probes that
    /// hold a socket), and ``InFlightBudget/maximumInFlight``.
    package var ceiling: Int
    /// How it grows with the hold times seen, when it does (a wide sweep whose user set no cap).
    package var growth: InFlightBudget?
    /// Why ``inFlight`` is not ``requestedInFlight``, in words (`nil`: it is).
    package var reason: String?

    /// The budget of a sweep of `probes` probes (samples included) with `options`. `descriptorRoom`
    /// is what the descriptor limit leaves for sockets (`nil`: the probes hold none, as ICMP's).
    package static func resolve(options: ProbeOptions, probes: Int, descriptorRoom: Int?) -> SweepBudget {
        let most = InFlightBudget.maximumInFlight
        let ceiling = max(1, min(most, descriptorRoom ?? most))
        let requested = max(1, options.maxInFlight)
        let wide = options.growsInFlight && probes > InFlightBudget.minimumProbes
        // Pings share one socket: with no rate limit, only the sequence space bounds a wide sweep of
        // them (the rate-based growth below has no rate to size from).
        let unbounded = wide && descriptorRoom == nil && options.rate == 0
        let start = unbounded ? ceiling : min(requested, ceiling)
        var reason: String?
        if unbounded {
            reason = "pings share one socket: at --rate 0 only the \(most) sequence numbers bound them"
        } else if start < requested {
            // Whichever bound holds it: the descriptors left, or the most any sweep keeps in flight.
            if let room = descriptorRoom, room < most {
                reason = "\(requested) asked; \(room) descriptors are left under 'ulimit -n' (raise it for more)"
            } else {
                reason = "\(requested) asked; at most \(most) probes are in flight"
            }
        }
        var growth: InFlightBudget?
        if wide, !unbounded {
            // A wide sweep: as many in flight as the rate keeps busy (rate × hold time), within
            // the descriptors, or for ICMP (one socket) within the sequence space: its only limits
            // are the rate and the timeout. (A small sweep keeps the default: it ends in a few
            // round trips anyway.)
            growth = InFlightBudget(floor: start, ceiling: ceiling, rate: options.rate, timeoutNanoseconds: options.timeoutNanoseconds)
        }
        return SweepBudget(
            timeout: .milliseconds(max(1, options.timeoutMilliseconds)), timeoutNanoseconds: options.timeoutNanoseconds,
            intervalNanoseconds: options.intervalNanoseconds, requestedInFlight: requested, inFlight: start, ceiling: ceiling,
            growth: growth, reason: reason)
    }
}
