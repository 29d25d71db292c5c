#if canImport(Glibc)
import Glibc
#endif
import CProbe

/// A POSIX error number, as returned by a failing system call.
///
/// Modelled on swift-system's `Errno`: a `RawRepresentable` wrapper with named
/// statics for the values probe cares about and the symbolic name (`ECONNREFUSED`)
/// for reporting.
package struct Errno: RawRepresentable, Error, Hashable, Sendable, CustomStringConvertible {
    /// The raw `errno` value.
    package let rawValue: Int32

    /// Wraps a raw `errno` value.
    package init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's current `errno`.
    package static var current: Errno { Errno(rawValue: cprobe_errno()) }

    /// The symbolic name, such as `ECONNREFUSED`, or `E<number>` when the C library has none.
    package var name: String {
        if let cName = cprobe_errno_name(rawValue) { return String(cString: cName) }
        return "E\(rawValue)"
    }

    /// The C library's message for this error.
    package var message: String { String(cString: strerror(rawValue)) }

    /// `ECONNREFUSED (Connection refused)`.
    package var description: String { "\(name) (\(message))" }

    /// Interrupted system call.
    package static let interrupted = Errno(rawValue: EINTR)
    /// Resource temporarily unavailable.
    package static let wouldBlock = Errno(rawValue: EAGAIN)
    /// Operation now in progress (non-blocking connect).
    package static let inProgress = Errno(rawValue: EINPROGRESS)
    /// Connection refused: the host answered with RST.
    package static let connectionRefused = Errno(rawValue: ECONNREFUSED)
    /// Software caused connection abort (a recycled socket reporting its previous attempt).
    package static let connectionAborted = Errno(rawValue: ECONNABORTED)
    /// Connection reset by peer (after the handshake completed).
    package static let connectionReset = Errno(rawValue: ECONNRESET)
    /// Broken pipe.
    package static let brokenPipe = Errno(rawValue: EPIPE)
    /// Connection timed out (kernel-level).
    package static let timedOut = Errno(rawValue: ETIMEDOUT)
    /// No route to host.
    package static let hostUnreachable = Errno(rawValue: EHOSTUNREACH)
    /// Network is unreachable.
    package static let networkUnreachable = Errno(rawValue: ENETUNREACH)
    /// Too many open files in this process.
    package static let tooManyOpenFiles = Errno(rawValue: EMFILE)
    /// Too many open files in the system.
    package static let tooManyOpenFilesInSystem = Errno(rawValue: ENFILE)
    /// No buffer space available.
    package static let noBufferSpace = Errno(rawValue: ENOBUFS)
    /// Address family not supported (for example IPv6 disabled).
    package static let addressFamilyNotSupported = Errno(rawValue: EAFNOSUPPORT)
    /// Invalid argument.
    package static let invalidArgument = Errno(rawValue: EINVAL)
    /// File exists.
    package static let fileExists = Errno(rawValue: EEXIST)
}
