import FoundationEssentials
import Synchronization
import ProviderFetch
import ProbeSystem
import SafeText
#if canImport(Glibc)
import Glibc
#endif

/// A connection's directory: `connection.json` and the material files, each 0600 in a 0700
/// directory, each replaced atomically; nothing half-written is left when a write fails.
enum ConnectionDirectory {
    /// Writes `connection` into `path` (created when missing), holding the directory's lock for
    /// the write. An OpenVPN profile's `auth-user-pass` names the credentials file by absolute
    /// path. A directory holding a connection that created something at its provider is refused
    /// until it is released.
    static func write(_ connection: Connection, to path: String) throws(ProbeClientError) {
        try Reservation(path).write(connection)
    }

    /// A connection directory held for one connect or release: checked (a real directory of
    /// ours, made 0700, holding no connection that created something at its provider and was
    /// not released), then locked (`flock` on `.probe.lock` inside it) until this value goes away,
    /// so two probes never write one directory at once. What a provider creates while the
    /// connection is being fetched is recorded in it at once (``recordPending(provider:created:)``),
    /// so that `probe release DIR` can give it back even when probe itself cannot.
    final class Reservation: @unchecked Sendable {
        /// The directory, absolute.
        let directory: String
        /// The path as the user gave it (for messages).
        let path: String
        private let lock: Int32
        private let mutex = Mutex<(pending: [String: [String: Int]], wrote: Bool)>(([:], false))
        /// Whether this reservation made the directory (and so removes it when nothing was kept there).
        private let madeDirectory: Bool

        /// Checks and locks `path`; throws a one-line error naming what is wrong.
        /// What the directory is held for: a new connection (refused while one that created
        /// something is there), following the pick (`probe serve`: the connection there is taken
        /// over), or a release (anything probe wrote there may be given back).
        enum Purpose { case connect, follow, release }

        init(_ path: String, for purpose: Purpose = .connect) throws(ProbeClientError) {
            let directory = absolute(path)
            // The path is written into the profile (`auth-user-pass "DIR/..."`): a line break in it
            // would start a new option there.
            guard !directory.contains(where: { $0.isControlCharacter }) else {
                throw ProbeClientError(.connection, "\(SafeText.quoted(path)) holds a line break or control character: choose another directory")
            }
            if purpose == .release {
                guard (try? Syscall.status(directory, followingLinks: false)) != nil else {
                    throw ProbeClientError(.connection, "\(SafeText.quoted(path)) holds no \(Connection.manifestName) (not a connection probe wrote)")
                }
            }
            let made = try prepare(directory)
            let fd: Int32
            do {
                fd = try Syscall.open(directory + "/" + ConnectionDirectory.lockName, O_RDWR | O_CREAT | O_NOFOLLOW, mode: 0o600)
            } catch {
                throw ProbeClientError(.connection, "cannot lock \(SafeText.quoted(path)): \(error)")
            }
            guard (try? Syscall.tryLock(fd)) == true else {
                Syscall.close(fd)
                throw ProbeClientError(.connection, "\(SafeText.quoted(path)) is in use by another probe (connect, release or serve): try again when it is done")
            }
            self.directory = directory
            self.path = path
            self.lock = fd
            self.madeDirectory = made
            guard purpose != .release else { return }
            if let left = readPending(directory) {
                throw ProbeClientError(.connection, "\(SafeText.quoted(path)) records \(describe(left.created)) created at \(left.provider) by a connect that did not finish: run 'probe release \(path)' first")
            }
            if purpose == .connect, let previous = try? read(directory), !previous.created.isEmpty {
                throw ProbeClientError(.connection, "\(SafeText.quoted(path)) holds a connection that created \(describe(previous.created)) at \(previous.provider): run 'probe release \(path)' first")
            }
        }

        /// Unlocks; a directory this reservation made is removed again when nothing was written
        /// or recorded in it (a refused or failed connect leaves no trace).
        deinit {
            let empty = mutex.withLock { !$0.wrote && $0.pending.values.allSatisfy(\.isEmpty) }
            if madeDirectory, empty {
                Syscall.unlink(directory + "/" + ConnectionDirectory.lockName)
                _ = Syscall.removeDirectory(directory)
            }
            Syscall.close(lock)
        }

        /// Records what `provider` created for the connection being fetched (`pending.json`,
        /// 0600), before the material is in hand.
        func recordPending(provider: String, created: [String: Int]) {
            let snapshot: [String: [String: Int]] = mutex.withLock { state in
                state.pending[provider, default: [:]].merge(created) { $1 }
                return state.pending
            }
            writePending(snapshot)
        }

        /// Forgets what was recorded as pending (given back, or now in the manifest).
        func clearPending(provider: String? = nil) {
            let snapshot: [String: [String: Int]] = mutex.withLock { state in
                if let provider { state.pending[provider] = nil } else { state.pending = [:] }
                return state.pending
            }
            writePending(snapshot)
        }

        private func writePending(_ snapshot: [String: [String: Int]]) {
            let file = directory + "/" + ConnectionDirectory.pendingName
            guard let (provider, created) = snapshot.first(where: { !$0.value.isEmpty }) else {
                Syscall.unlink(file)
                return
            }
            let json = JSONValue.object(["provider": .string(provider), "created": .object(created.mapValues { .number(Double($0)) })])
            try? AtomicFile.write(Data((json.text() + "\n").utf8), to: file, mode: 0o600)
        }

        /// Writes `connection` (its material and manifest, each 0600, atomically); nothing half-written
        /// stays when a write fails. What it created is then in the manifest, no longer pending.
        func write(_ connection: Connection) throws(ProbeClientError) {
            var written: [String] = []
            do throws(AtomicFile.WriteError) {
                for file in connection.material {
                    guard isPlainName(file.name) else { throw AtomicFile.WriteError(description: "unsafe file name \(SafeText.quoted(file.name))") }
                    var contents = file.contents
                    if file.kind == "openvpn", let auth = connection.files["openvpn_auth"] {
                        contents = OpenVPNProfile(served: contents, authPath: directory + "/" + auth).text
                    }
                    try AtomicFile.write(Data(contents.utf8), to: directory + "/" + file.name, mode: 0o600)
                    written.append(file.name)
                }
                try AtomicFile.write(Data((connection.manifestJSON() + "\n").utf8), to: directory + "/" + Connection.manifestName, mode: 0o600)
            } catch {
                for name in written { Syscall.unlink(directory + "/" + name) }
                throw ProbeClientError(.connection, "cannot write the connection: \(error.description)")
            }
            mutex.withLock { $0.wrote = true }
            clearPending(provider: connection.provider)
        }
    }

    /// The lock file inside a connection directory.
    static let lockName = ".probe.lock"
    /// What a connect that has not finished created at its provider.
    static let pendingName = "pending.json"

    /// The pending record in `directory`, if any: the provider and what it created.
    static func readPending(_ directory: String) -> (provider: String, created: [String: Int])? {
        guard let data = AtomicFile.readRegular(directory + "/" + pendingName), let json = try? JSONValue.parse(data),
              let provider = json["provider"]?.string, case .object(let members)? = json["created"] else { return nil }
        let created = members.compactMapValues { $0.int }
        return created.isEmpty ? nil : (provider, created)
    }

    /// The manifest in `path`.
    static func read(_ path: String) throws(ProbeClientError) -> Connection {
        let file = absolute(path) + "/" + Connection.manifestName
        guard let data = AtomicFile.readRegular(file) else {
            throw ProbeClientError(.connection, "\(SafeText.quoted(path)) holds no \(Connection.manifestName) (not a connection probe wrote)")
        }
        do {
            return try JSONDecoder().decode(Connection.self, from: data)
        } catch {
            throw ProbeClientError(.connection, "\(SafeText.quoted(file)) is not a connection manifest")
        }
    }

    /// Removes what the manifest lists (and the manifest and probe's own lock and pending
    /// files), then, unless `keepDirectory`, the directory when it is empty; files probe did not
    /// write stay. Returns a note when the directory had to stay.
    static func remove(_ connection: Connection, at path: String, keepDirectory: Bool = false) -> String? {
        let directory = absolute(path)
        for name in connection.files.values where isPlainName(name) { Syscall.unlink(directory + "/" + name) }
        Syscall.unlink(directory + "/" + Connection.manifestName)
        guard !keepDirectory else { return nil }
        Syscall.unlink(directory + "/" + pendingName)
        Syscall.unlink(directory + "/" + lockName)
        if !Syscall.removeDirectory(directory) {
            return "\(SafeText.quoted(path)) kept: it holds files probe did not write"
        }
        return nil
    }

    /// Creates `directory` (0700) or checks it: a real directory (not a link), owned by us, and
    /// made 0700 so that nobody else can list or enter it.
    /// Returns whether it was created now.
    @discardableResult
    fileprivate static func prepare(_ directory: String) throws(ProbeClientError) -> Bool {
        let made: Bool
        do {
            made = try Syscall.makeDirectory(directory, mode: 0o700)
        } catch {
            throw ProbeClientError(.connection, "cannot create \(SafeText.quoted(directory)): \(error)")
        }
        guard let status = try? Syscall.status(directory, followingLinks: false), status.st_mode & S_IFMT == S_IFDIR else {
            throw ProbeClientError(.connection, "\(SafeText.quoted(directory)) is not a directory (a symlink or a file)")
        }
        guard status.st_uid == geteuid() else {
            throw ProbeClientError(.connection, "\(SafeText.quoted(directory)) belongs to another user")
        }
        do {
            try Syscall.changeMode(path: directory, 0o700)
        } catch {
            throw ProbeClientError(.connection, "cannot make \(SafeText.quoted(directory)) private (0700): \(error)")
        }
        return made
    }

    static func describe(_ created: [String: Int]) -> String {
        created.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    /// A file name without a directory part (a manifest from disk must not point elsewhere).
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && name != "." && name != ".." && !name.contains("\0")
    }

    static func absolute(_ path: String) -> String {
        var trimmed = path
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        if trimmed.hasPrefix("/") { return trimmed }
        return FileManager.default.currentDirectoryPath + "/" + trimmed
    }
}
