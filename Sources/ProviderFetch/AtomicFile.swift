package import FoundationEssentials
import SafeText
#if canImport(Glibc)
package import Glibc
#endif

/// Replaces a file in one step: the bytes go to a new file in the same directory, which is
/// flushed to disk and then renamed over the old one, so a reader sees the old file or the new
/// one, never half of either. A symlink at the path is replaced, never written through; a full
/// disk (`ENOSPC`) or any other failure leaves the old file intact and no temporary file behind.
/// ``update(_:mode:_:)`` takes an advisory lock first, so two processes updating one file in turn
/// never lose each other's update.
package enum AtomicFile {
    /// A write that failed, naming the step and the errno.
    package struct WriteError: Error, CustomStringConvertible, Sendable {
        /// One line.
        package var description: String
        /// A failure described in one line.
        package init(description: String) { self.description = description }
    }

    /// How long ``update(_:mode:_:)`` waits for another process's lock before giving up.
    package static let lockTimeoutSeconds = 10.0

    /// The permission bits of the file at `path` (`nil` when it cannot be read).
    package static func permissions(_ path: String) -> Int? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return Int(status.st_mode & 0o7777)
    }

    /// Writes `data` to `path` atomically, with `mode` (whatever the umask); creates the directory
    /// (mode 0700) when missing. On failure the old file is untouched and no temporary file is left.
    package static func write(_ data: Data, to path: String, mode: mode_t = 0o644) throws(WriteError) {
        let directory = directoryOf(path)
        if !FileManager.default.fileExists(atPath: directory) {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        var existing = stat()
        if stat(path, &existing) == 0, existing.st_mode & S_IFMT == S_IFDIR {
            throw WriteError(description: "cannot replace \(path): it is a directory")
        }
        let temporary = path + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw WriteError(description: "cannot write \(path): \(String(cString: strerror(errno))) (creating a file in \(directory))") }
        _ = fchmod(fd, mode)
        var offset = 0
        var failure: String? = data.withUnsafeBytes { raw -> String? in
            while offset < raw.count {
                let written = Glibc.write(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                offset += written
            }
            return nil
        }
        // A full disk may only show when the data is flushed, or at close: check both.
        if failure == nil, fsync(fd) != 0, errno != EINVAL { failure = String(cString: strerror(errno)) }
        if close(fd) != 0, failure == nil { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw WriteError(description: "cannot write \(path): \(failure) (the previous file is intact)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw WriteError(description: "cannot replace \(path): \(reason)")
        }
    }

    /// Reads the file at `path` (`nil` when missing), lets `transform` compute the new contents,
    /// and writes them atomically, all under an advisory lock (`flock` on the file's directory),
    /// so a second process updating the same file waits for the first and builds on its result.
    package static func update(_ path: String, mode: mode_t = 0o644, _ transform: (Data?) throws(WriteError) -> Data) throws(WriteError) {
        let directory = directoryOf(path)
        if !FileManager.default.fileExists(atPath: directory) {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let lock = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard lock >= 0 else { throw WriteError(description: "cannot lock \(directory): \(String(cString: strerror(errno)))") }
        defer { close(lock) }
        var waited = 0.0
        while flock(lock, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw WriteError(description: "cannot lock \(directory): \(String(cString: strerror(errno)))")
            }
            guard waited < lockTimeoutSeconds else {
                throw WriteError(description: "cannot write \(path): another process held the lock on \(directory) for \(Int(lockTimeoutSeconds)) s")
            }
            usleep(10_000)
            waited += 0.01
        }
        defer { flock(lock, LOCK_UN) }
        try write(try transform(readRegular(path)), to: path, mode: mode)
    }

    /// The contents of the regular file at `path`, never through a symlink (a link planted there
    /// must not copy another file into probe's output), nor from a FIFO or device; `nil` otherwise.
    package static func readRegular(_ path: String) -> Data? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            data.append(contentsOf: chunk[..<count])
        }
        return data
    }

    private static func directoryOf(_ path: String) -> String {
        let directory = path.deletingLastPathComponent
        return directory.isEmpty ? "." : directory
    }
}
