#if canImport(Glibc)
package import Glibc
#endif
package import CProbe

/// Thin shims over the system calls probe makes, in one place (as swift-system does).
///
/// Every shim returns its result or throws an ``Errno``. `EINTR` is retried in
/// ``retryingOnInterrupt(_:)`` and nowhere else; `close` is never retried. The file calls live
/// here (the atomic writer, connection directories, the readers of users' files use them); the
/// socket, epoll and timer calls are Prober's extension of this type.
package enum Syscall {
    /// Runs `body` until it returns something other than -1 with `EINTR`.
    @inline(__always)
    package static func retryingOnInterrupt<Result: BinaryInteger>(_ body: () -> Result) throws(Errno) -> Result {
        while true {
            let result = body()
            if result != -1 { return result }
            let error = Errno.current
            if error != .interrupted { throw error }
        }
    }

    /// `close(2)`, never retried: on Linux the descriptor is gone even when close reports EINTR.
    package static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// `close(2)` of a descriptor that was written: a full disk may show only here (NFS, quotas).
    package static func closeAfterWriting(_ fd: Int32) throws(Errno) {
        if Glibc.close(fd) != 0, Errno.current != .interrupted { throw Errno.current }
    }

    // MARK: Files

    /// `open(2)` of `path` with `flags` (`O_CLOEXEC` added) and, when it creates, `mode`.
    package static func open(_ path: String, _ flags: Int32, mode: mode_t = 0) throws(Errno) -> Int32 {
        try retryingOnInterrupt { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    /// Writes every byte of `bytes` to `fd` (`write(2)` until done).
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            let base = bytes.baseAddress.map { $0 + offset }
            offset += try retryingOnInterrupt { Glibc.write(fd, base, bytes.count - offset) }
        }
    }

    /// `read(2)` into `buffer`: the count read, 0 at the end.
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try retryingOnInterrupt { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// `fsync(2)`; a file system that cannot sync (`EINVAL`: a pipe, some special files) is not
    /// an error.
    package static func sync(_ fd: Int32) throws(Errno) {
        if fsync(fd) != 0, Errno.current != .invalidArgument { throw Errno.current }
    }

    /// `fchmod(2)`.
    package static func changeMode(_ fd: Int32, _ mode: mode_t) throws(Errno) {
        _ = try retryingOnInterrupt { fchmod(fd, mode) }
    }

    /// `chmod(2)` of `path`.
    package static func changeMode(path: String, _ mode: mode_t) throws(Errno) {
        _ = try retryingOnInterrupt { chmod(path, mode) }
    }

    /// `rename(2)`: `to` is replaced in one step.
    package static func rename(_ from: String, to: String) throws(Errno) {
        _ = try retryingOnInterrupt { Glibc.rename(from, to) }
    }

    /// `unlink(2)`, its failure ignored (the file may be gone already).
    package static func unlink(_ path: String) {
        _ = Glibc.unlink(path)
    }

    /// `rmdir(2)` of an empty directory: whether it went.
    package static func removeDirectory(_ path: String) -> Bool {
        rmdir(path) == 0
    }

    /// `mkdir(2)`: whether it was created now (`false` when something is there already).
    package static func makeDirectory(_ path: String, mode: mode_t) throws(Errno) -> Bool {
        if mkdir(path, mode) == 0 { return true }
        let error = Errno.current
        if error == .fileExists { return false }
        throw error
    }

    /// `stat(2)` (through links) or `lstat(2)` (the link itself) of `path`.
    package static func status(_ path: String, followingLinks: Bool = true) throws(Errno) -> stat {
        var status = stat()
        _ = try retryingOnInterrupt { followingLinks ? stat(path, &status) : lstat(path, &status) }
        return status
    }

    /// `fstat(2)`.
    package static func status(_ fd: Int32) throws(Errno) -> stat {
        var status = stat()
        _ = try retryingOnInterrupt { fstat(fd, &status) }
        return status
    }

    /// `flock(2)` exclusive without waiting: whether this process holds the lock now
    /// (`false`: another holds it).
    package static func tryLock(_ fd: Int32) throws(Errno) -> Bool {
        do {
            _ = try retryingOnInterrupt { flock(fd, LOCK_EX | LOCK_NB) }
            return true
        } catch {
            if error == .wouldBlock { return false }
            throw error
        }
    }

    /// `flock(2)` release.
    package static func unlock(_ fd: Int32) {
        _ = flock(fd, LOCK_UN)
    }
}
