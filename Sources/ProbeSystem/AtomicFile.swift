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
    /// A write that failed, naming the step and the error (``Errno``: its name and message).
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
        guard let status = try? Syscall.status(path) else { return nil }
        return Int(status.st_mode & 0o7777)
    }

    /// Writes `data` to `path` atomically, with `mode` (whatever the umask); creates the directory
    /// (mode 0700) when missing. On failure the old file is untouched and no temporary file is left.
    package static func write(_ data: Data, to path: String, mode: mode_t = 0o644) throws(WriteError) {
        let directory = directoryOf(path)
        if !FileManager.default.fileExists(atPath: directory) {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        if let existing = try? Syscall.status(path), existing.st_mode & S_IFMT == S_IFDIR {
            throw WriteError(description: "cannot replace \(path): it is a directory")
        }
        let temporary = path + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd: Int32
        do {
            fd = try Syscall.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: mode)
        } catch {
            throw WriteError(description: "cannot write \(path): \(error) (creating a file in \(directory))")
        }
        var failure: Errno?
        do throws(Errno) {
            try Syscall.changeMode(fd, mode)
            // Data.withUnsafeBytes rethrows untyped: the error comes back as a result.
            let written = data.withUnsafeBytes { raw in Result { () throws(Errno) in try Syscall.writeAll(fd, raw) } }
            try written.get()
            // A full disk may only show when the data is flushed, or at close: check both.
            try Syscall.sync(fd)
        } catch {
            failure = error
        }
        do { try Syscall.closeAfterWriting(fd) } catch { failure = failure ?? error }
        if let failure {
            Syscall.unlink(temporary)
            throw WriteError(description: "cannot write \(path): \(failure) (the previous file is intact)")
        }
        do {
            try Syscall.rename(temporary, to: path)
        } catch {
            Syscall.unlink(temporary)
            throw WriteError(description: "cannot replace \(path): \(error)")
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
        let lock: Int32
        do {
            lock = try Syscall.open(directory, O_RDONLY | O_DIRECTORY)
        } catch {
            throw WriteError(description: "cannot lock \(directory): \(error)")
        }
        defer { Syscall.close(lock) }
        var waited = 0.0
        while true {
            do {
                if try Syscall.tryLock(lock) { break }
            } catch {
                throw WriteError(description: "cannot lock \(directory): \(error)")
            }
            guard waited < lockTimeoutSeconds else {
                throw WriteError(description: "cannot write \(path): another process held the lock on \(directory) for \(Int(lockTimeoutSeconds)) s")
            }
            usleep(10_000)
            waited += 0.01
        }
        defer { Syscall.unlock(lock) }
        try write(try transform(readRegular(path)), to: path, mode: mode)
    }

    /// The contents of the regular file at `path`, never through a symlink (a link planted there
    /// must not copy another file into probe's output), nor from a FIFO or device; `nil` otherwise.
    package static func readRegular(_ path: String) -> Data? {
        guard let fd = try? Syscall.open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) else { return nil }
        defer { Syscall.close(fd) }
        guard let status = try? Syscall.status(fd), status.st_mode & S_IFMT == S_IFREG else { return nil }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            guard let count = try? chunk.withUnsafeMutableBytes({ (buffer) throws(Errno) in try Syscall.read(fd, into: buffer) }), count > 0 else { break }
            data.append(contentsOf: chunk[..<count])
        }
        return data
    }

    private static func directoryOf(_ path: String) -> String {
        let directory = path.deletingLastPathComponent
        return directory.isEmpty ? "." : directory
    }
}
