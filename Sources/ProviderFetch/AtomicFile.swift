public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Replaces a file in one step: the bytes go to a new file in the same directory, which is then
/// renamed over the old one, so a reader sees the old file or the new one, never half of either.
public enum AtomicFile {
    /// A write that failed, naming the step and the errno.
    public struct WriteError: Error, CustomStringConvertible, Sendable {
        /// One line.
        public var description: String
    }

    /// Writes `data` to `path` atomically, with `mode` (whatever the umask); creates the directory
    /// (mode 0700) when missing. On failure the old file is untouched and no temporary file is left.
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o644) throws(WriteError) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let temporary = path + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw WriteError(description: "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        _ = fchmod(fd, mode)
        var offset = 0
        let failure: String? = data.withUnsafeBytes { raw -> String? in
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
        close(fd)
        if let failure {
            unlink(temporary)
            throw WriteError(description: "cannot write \(path): \(failure)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw WriteError(description: "cannot replace \(path): \(reason)")
        }
    }
}
