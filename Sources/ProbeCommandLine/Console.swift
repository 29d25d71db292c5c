import FoundationEssentials
import SafeText
import Glibc
import ProbeKit

/// Writing to stdout and stderr with `write(2)`: a closed or full stdout is one line on stderr
/// and exit status 74 (EX_IOERR), never a trap. Every line on stderr is cleaned first: known
/// secrets masked, control characters escaped, length bounded.
package enum Console {
    /// EX_IOERR: stdout could not be written.
    package static let ioError: Int32 = 74

    /// Standard output was closed when probe started (`>&-`).
    nonisolated(unsafe) private static var stdoutClosed = false

    /// Run first thing: a closed stdin, stdout or stderr gets /dev/null in its place, so no socket
    /// or epoll instance probe opens later takes descriptor 0, 1 or 2 (output would go into it).
    /// A closed stdout is remembered: writing to it is then the one-line error and exit 74.
    package static func guardStandardDescriptors() {
        for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) < 0 && errno == EBADF {
            let null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY)
            if null >= 0, null != fd {
                dup2(null, fd)
                close(null)
            }
            if fd == 1 { stdoutClosed = true }
        }
    }

    /// One line on stderr, prefixed `probe: `.
    package static func error(_ message: String) {
        writeAll(2, Array("probe: \(clean(message))\n".utf8))
    }

    /// One note on stderr unless quiet.
    package static func note(_ message: String, quiet: Bool) {
        if !quiet { writeAll(2, Array("\(clean(message))\n".utf8)) }
    }

    /// Writes and empties `bytes` to stdout.
    package static func flush(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        output(bytes)
        bytes.removeAll(keepingCapacity: true)
    }

    /// Text on stdout.
    package static func out(_ text: String) {
        output(Array((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// Human text on stdout: each line's control characters escaped (provider names, hosts and
    /// reasons are outside data; nothing in them reaches the terminal as an escape sequence).
    package static func human(_ text: String) {
        out(text.split(separator: "\n", omittingEmptySubsequences: false).map { SafeText.escaped(String($0), limit: 4_000) }.joined(separator: "\n"))
    }

    /// Raw text on stderr (the progress line's own escapes), never failing.
    package static func terminal(_ text: String) {
        writeAll(2, Array(text.utf8))
    }

    /// A message as it may reach the terminal: secrets masked, one line, control characters escaped.
    package static func clean(_ message: String) -> String {
        SafeText.line(Redaction.redact(message), limit: 4_000)
    }

    /// Bytes on stdout; when stdout cannot take them (closed, a full disk), says so once on stderr
    /// and exits 74. Files written before stay as they are.
    private static func output(_ bytes: [UInt8]) {
        if let failure = stdoutClosed ? String(cString: strerror(EBADF)) : writeAll(1, bytes) {
            writeAll(2, Array("probe: cannot write to standard output: \(failure)\n".utf8))
            exit(ioError)
        }
    }

    /// Writes every byte to `fd`; returns the reason when it could not.
    @discardableResult
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> String? {
        var offset = 0
        return bytes.withUnsafeBytes { raw -> String? in
            while offset < raw.count {
                let written = write(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                offset += written
            }
            return nil
        }
    }
}

extension Console {
    /// Progress of a step that waits (a WireGuard configuration being created), as a line that
    /// rewrites itself on a terminal; nothing when stderr is not a terminal.
    package static func terminalProgress() -> (@Sendable (String) -> Void)? {
        guard isatty(2) == 1 else { return nil }
        return { line in Console.terminal("\r\u{1B}[K" + clean(line)) }
    }

    /// Ends a progress line (the cursor back at the start of an empty line).
    package static func endProgress() {
        if isatty(2) == 1 { terminal("\r\u{1B}[K") }
    }
}
