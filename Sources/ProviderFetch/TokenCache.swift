import FoundationEssentials
import Synchronization
#if canImport(Glibc)
import Glibc
import ProbeSystem
#endif

/// Provider tokens kept between runs in `$XDG_CACHE_HOME/probe/tokens.json` (mode 0600),
/// reused until they expire. Keys are hashes of provider type, URL and user, so the file
/// names no account.
package final class TokenCache: Sendable {
    /// One cached login.
    package struct Entry: Hashable, Sendable, Codable {
        /// The token.
        package var token: String
        /// When it expires (seconds since 1970, wall clock, as the provider states it), if known.
        package var expiresAt: Double?
        /// NetMimic's device id, when the provider assigned one (its text).
        package var deviceID: String?
        /// Whether login returned the device id as a JSON number (it is sent back as one).
        package var deviceIDIsNumber: Bool?

        /// An entry.
        package init(token: String, expiresAt: Double? = nil, deviceID: String? = nil) {
            self.token = token
            self.expiresAt = expiresAt
            self.deviceID = deviceID
        }

        /// An entry whose device id is kept as login returned it: a number stays a number.
        package init(token: String, expiresAt: Double? = nil, deviceIDValue: JSONValue?) {
            self.init(token: token, expiresAt: expiresAt, deviceID: deviceIDValue?.string)
            if case .number? = deviceIDValue { deviceIDIsNumber = true }
        }

        /// The device id as it is sent back: a JSON number when login returned one, else text.
        package var deviceIDValue: JSONValue? {
            guard let deviceID else { return nil }
            if deviceIDIsNumber == true, let number = Double(deviceID) { return .number(number) }
            return .string(deviceID)
        }
    }

    /// Where the file lives, `nil` for a cache kept in memory only.
    package let path: String?
    private let entries: Mutex<[String: Entry]>

    /// The default file: `$XDG_CACHE_HOME/probe/tokens.json`, else `~/.cache/probe/tokens.json`.
    package static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/probe/tokens.json" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.cache/probe/tokens.json" }
        return nil
    }

    /// A cache backed by `path` (read now; a missing or corrupt file is an empty cache).
    package init(path: String?) {
        self.path = path
        var loaded: [String: Entry] = [:]
        if let path, let data = FileManager.default.contents(atPath: path) {
            loaded = (try? JSONDecoder().decode([String: Entry].self, from: data)) ?? [:]
        }
        entries = Mutex(loaded)
    }

    /// The key for one provider login (an MD5 of type, URL and user: no account name on disk).
    package static func key(type: String, url: String, user: String) -> String { MD5.hex("\(type)|\(url)|\(user)") }

    /// A token that is still good for at least a minute.
    package func token(for key: String) -> Entry? {
        entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            Redaction.register(entry.token)
            // Token expiry is an absolute wall-clock time set by the provider; compare it as such.
            if let expiry = entry.expiresAt, expiry - 60 < Date().timeIntervalSince1970 { return nil }
            return entry
        }
    }

    /// Stores a login and writes the file.
    package func store(_ entry: Entry, for key: String) {
        Redaction.register(entry.token)
        entries.withLock { $0[key] = entry }
        write { $0[key] = entry }
    }

    /// Forgets a login (after a 401, or on logout) and writes the file.
    package func remove(_ key: String) {
        entries.withLock { $0[key] = nil }
        write { $0[key] = nil }
    }

    /// Applies one change to the file as it is now, under its lock (another probe process may
    /// have stored a login since this one read it), atomically, mode 0600 in a 0700 directory.
    private func write(_ change: (inout [String: Entry]) -> Void) {
        guard let path else { return }
        try? AtomicFile.update(path, mode: 0o600) { existing throws(AtomicFile.WriteError) -> Data in
            var current = existing.flatMap { try? JSONDecoder().decode([String: Entry].self, from: $0) } ?? [:]
            change(&current)
            guard let data = try? JSONEncoder().encode(current) else { throw AtomicFile.WriteError(description: "cannot encode") }
            return data
        }
    }
}
