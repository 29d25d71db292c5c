import ProbeKit

/// The rules `probe serve` keeps its HTTP connections by, as a pure state machine (events in,
/// actions out, time given by the caller): at most ``Limits/maxConnections`` open, each with a
/// deadline for what it owes (a request's header within ``Limits/headerTimeout`` of opening or of
/// starting it, the next request within ``Limits/idleTimeout`` of the last answer); a request
/// being answered (a long poll) has none. When a connection arrives at the cap, the one that has
/// owed something longest (idle, or still sending its header) is closed to make room, so a crowd of
/// idle or half-sent connections never locks out a scrape or a health check; only when every
/// open connection is being answered is the new one refused.
package struct ConnectionLedger: Sendable {
    /// The limits.
    package struct Limits: Hashable, Sendable {
        /// Connections open at once, at most.
        package var maxConnections: Int
        /// From opening a connection (or finishing an answer on it) to a complete request header;
        /// also from the header to the end of the request's body.
        package var headerTimeout: Duration
        /// From an answer to the next request's header on a kept-alive connection.
        package var idleTimeout: Duration

        /// Limits (defaults: 512 connections, 10 s for a header, 60 s idle).
        package init(maxConnections: Int = 512, headerTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60)) {
            self.maxConnections = max(1, maxConnections)
            self.headerTimeout = headerTimeout
            self.idleTimeout = idleTimeout
        }
    }

    /// Why a connection is closed.
    package enum Reason: String, Hashable, Sendable {
        /// Its request header (or body) did not arrive in time.
        case headerTimeout = "header-timeout"
        /// Kept alive with no new request for too long.
        case idleTimeout = "idle-timeout"
        /// Closed to make room for a new connection at the cap.
        case evicted
        /// A new connection at the cap with nothing to evict.
        case refused
    }

    /// What the caller does.
    package enum Action: Hashable, Sendable {
        /// Close connection `id`.
        case close(UInt64, Reason)
    }

    enum Phase: Hashable, Sendable {
        /// Waiting for a request header (after opening, or after an answer: `idle` says which).
        case waiting(deadline: Duration, idle: Bool)
        /// The header arrived, the body has not ended.
        case reading(deadline: Duration)
        /// The request is being answered.
        case answering
    }

    struct Entry: Hashable, Sendable {
        var phase: Phase
        /// When it last started owing something (for choosing whom to evict).
        var since: Duration
    }

    /// The limits in force.
    package var limits: Limits
    private(set) var entries: [UInt64: Entry] = [:]

    /// An empty ledger.
    package init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Connections open now.
    package var count: Int { entries.count }

    /// A connection was accepted at `now`: kept, possibly at the cost of another (evicted), or
    /// refused itself.
    package mutating func opened(_ id: UInt64, at now: Duration) -> [Action] {
        var actions: [Action] = []
        if entries.count >= limits.maxConnections {
            let owing = entries.filter { if case .answering = $0.value.phase { false } else { true } }
            guard let victim = owing.min(by: { ($0.value.since, $0.key) < ($1.value.since, $1.key) })?.key else {
                return [.close(id, .refused)]
            }
            entries[victim] = nil
            actions.append(.close(victim, .evicted))
        }
        entries[id] = Entry(phase: .waiting(deadline: now + limits.headerTimeout, idle: false), since: now)
        return actions
    }

    /// A request's header arrived on `id`; `complete` when it has no body still to come.
    package mutating func requestHead(_ id: UInt64, complete: Bool, at now: Duration) {
        guard entries[id] != nil else { return }
        entries[id]?.phase = complete ? .answering : .reading(deadline: now + limits.headerTimeout)
        entries[id]?.since = now
    }

    /// The request's body ended on `id`.
    package mutating func requestEnd(_ id: UInt64) {
        guard let entry = entries[id], case .reading = entry.phase else { return }
        entries[id]?.phase = .answering
    }

    /// The answer on `id` was sent: it may now wait for another request.
    package mutating func answered(_ id: UInt64, at now: Duration) {
        guard entries[id] != nil else { return }
        entries[id] = Entry(phase: .waiting(deadline: now + limits.idleTimeout, idle: true), since: now)
    }

    /// `id` is closed (by either side).
    package mutating func closed(_ id: UInt64) {
        entries[id] = nil
    }

    /// The connections whose deadline has passed at `now`, closed.
    package mutating func tick(at now: Duration) -> [Action] {
        var actions: [Action] = []
        for (id, entry) in entries {
            switch entry.phase {
            case .waiting(let deadline, let idle) where deadline <= now:
                actions.append(.close(id, idle ? .idleTimeout : .headerTimeout))
            case .reading(let deadline) where deadline <= now:
                actions.append(.close(id, .headerTimeout))
            default: continue
            }
        }
        for case .close(let id, _) in actions { entries[id] = nil }
        return actions.sorted { if case .close(let a, _) = $0, case .close(let b, _) = $1 { a < b } else { false } }
    }
}
