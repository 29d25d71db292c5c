import Foundation
import ProviderFetch
import SafeText
#if canImport(Glibc)
import Glibc
#endif

/// A connection's directory: `connection.json` and the material files, each 0600 in a 0700
/// directory, each replaced atomically; nothing half-written is left when a write fails.
enum ConnectionDirectory {
    /// Writes `connection` into `path` (created when missing). An OpenVPN profile's
    /// `auth-user-pass` names the credentials file by absolute path. A directory holding a
    /// connection that created something at its provider is refused until it is released.
    static func write(_ connection: Connection, to path: String) throws(ProbeClientError) {
        let directory = absolute(path)
        // The path is written into the profile (`auth-user-pass "DIR/..."`): a line break in it
        // would start a new option there.
        guard !directory.contains(where: { $0.isControlCharacter }) else {
            throw ProbeClientError(.connection, "\(SafeText.quoted(path)) holds a line break or control character: choose another directory")
        }
        try prepare(directory)
        if let previous = try? read(directory), !previous.created.isEmpty {
            throw ProbeClientError(.connection, "\(SafeText.quoted(path)) holds a connection that created \(describe(previous.created)) at \(previous.provider): run 'probe release \(path)' first")
        }
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
            for name in written { unlink(directory + "/" + name) }
            throw ProbeClientError(.connection, "cannot write the connection: \(error.description)")
        }
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

    /// Removes what the manifest lists (and the manifest), then the directory when it is empty;
    /// files probe did not write stay. Returns a note when the directory had to stay.
    static func remove(_ connection: Connection, at path: String) -> String? {
        let directory = absolute(path)
        for name in connection.files.values where isPlainName(name) { unlink(directory + "/" + name) }
        unlink(directory + "/" + Connection.manifestName)
        if rmdir(directory) != 0 {
            return "\(SafeText.quoted(path)) kept: it holds files probe did not write"
        }
        return nil
    }

    /// Creates `directory` (0700) or checks it: a real directory (not a link), owned by us, and
    /// made 0700 so that nobody else can list or enter it.
    private static func prepare(_ directory: String) throws(ProbeClientError) {
        if mkdir(directory, 0o700) != 0, errno != EEXIST {
            throw ProbeClientError(.connection, "cannot create \(SafeText.quoted(directory)): \(String(cString: strerror(errno)))")
        }
        var status = stat()
        guard lstat(directory, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
            throw ProbeClientError(.connection, "\(SafeText.quoted(directory)) is not a directory (a symlink or a file)")
        }
        guard status.st_uid == geteuid() else {
            throw ProbeClientError(.connection, "\(SafeText.quoted(directory)) belongs to another user")
        }
        guard chmod(directory, 0o700) == 0 else {
            throw ProbeClientError(.connection, "cannot make \(SafeText.quoted(directory)) private (0700): \(String(cString: strerror(errno)))")
        }
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
