import ProbeKit

/// Per-source back-off for basic auth, as a pure state machine (time given by the caller): after
/// a wrong password from a source (an address, with the user name it tried), that source's next
/// attempt is answered at once with "try again in N s" instead of being checked (bcrypt costs
/// tens of milliseconds by design), N doubling with each further failure up to ``maximum``; a
/// right password clears it. So a flood of wrong passwords costs one check per back-off period,
/// and a scraper whose credentials were verified before is never slowed (its check is cached).
package struct AuthThrottle: Sendable {
    /// The first back-off.
    package var initial: Duration
    /// The longest back-off.
    package var maximum: Duration
    /// Sources remembered at most (the oldest forgotten first).
    package var capacity: Int

    struct Entry: Hashable, Sendable {
        var failures: Int
        var until: Duration
    }

    private(set) var entries: [String: Entry] = [:]

    /// A throttle (defaults: 1 s doubling up to 30 s, 4,096 sources).
    package init(initial: Duration = .seconds(1), maximum: Duration = .seconds(30), capacity: Int = 4_096) {
        self.initial = initial
        self.maximum = maximum
        self.capacity = max(1, capacity)
    }

    /// `nil`: check the password now; else how long `source` must wait.
    package func wait(_ source: String, at now: Duration) -> Duration? {
        guard let entry = entries[source], entry.until > now else { return nil }
        return entry.until - now
    }

    /// A wrong password from `source` at `now`.
    package mutating func failed(_ source: String, at now: Duration) {
        if entries[source] == nil, entries.count >= capacity {
            // Forget what has expired; when nothing has, the source whose back-off ends first.
            entries = entries.filter { $0.value.until > now }
            if entries.count >= capacity, let first = entries.min(by: { $0.value.until < $1.value.until })?.key { entries[first] = nil }
        }
        let failures = (entries[source]?.failures ?? 0) + 1
        var backoff = initial
        for _ in 1..<min(failures, 32) where backoff < maximum { backoff = backoff * 2 }
        entries[source] = Entry(failures: failures, until: now + min(backoff, maximum))
    }

    /// A right password from `source`.
    package mutating func succeeded(_ source: String) {
        entries[source] = nil
    }
}
