import ProbeKit
import Synchronization

/// Remembers which (user, password, hash) triples verified, so a scraper's every request does not
/// pay bcrypt's deliberate cost (tens of milliseconds) again, as exporter-toolkit does.
///
/// Only a keyed digest is kept (the standard library's per-process seeded hash), never a password;
/// at most ``capacity`` entries, forgotten all at once when full.
package final class PasswordCache: Sendable {
    private let verified = Mutex<Set<Int>>([])
    /// Entries kept at most.
    package let capacity: Int

    /// A cache of `capacity` entries.
    package init(capacity: Int = 1_024) {
        self.capacity = capacity
    }

    /// Whether these credentials verified before (no check needed).
    package func knows(user: String, password: String, hash: String) -> Bool {
        let key = Self.key(user, password, hash)
        return verified.withLock { $0.contains(key) }
    }

    private static func key(_ user: String, _ password: String, _ hash: String) -> Int {
        var hasher = Hasher()
        hasher.combine(user)
        hasher.combine(password)
        hasher.combine(hash)
        return hasher.finalize()
    }

    /// `verify()`'s answer for these credentials, remembered when yes.
    package func check(user: String, password: String, hash: String, verify: () -> Bool) -> Bool {
        let key = Self.key(user, password, hash)
        if verified.withLock({ $0.contains(key) }) { return true }
        guard verify() else { return false }
        verified.withLock { set in
            if set.count >= capacity { set.removeAll() }
            set.insert(key)
        }
        return true
    }
}
