import Prober
import ProviderFetch
import SafeText
import ProbeSystem
#if canImport(Glibc)
import Glibc
#endif

/// Reads targets from text: one per line, `#` starts a comment, blank lines are ignored.
///
/// Hostile files lose nothing but their bad lines: invalid UTF-8, NUL bytes, over-long lines,
/// duplicates and bad targets are each a `file:line: ...` error, and every other line is probed.
package enum TargetList {
    /// Lines longer than this (bytes) are not targets (a host name is at most 253 bytes).
    package static let maximumLineBytes = 1_024
    /// Errors listed per source; past this one more line counts the rest.
    package static let maximumErrors = 100
    /// Targets files larger than this are refused (about two million targets).
    package static let maximumFileBytes = 64 << 20

    /// The targets of `bytes`, and one ``ReportError`` per bad line (`source:line`), so a bad
    /// line never loses the good ones.
    package static func parse(bytes: some Collection<UInt8>, source: String) -> (targets: [ProbeTarget], errors: [ReportError]) {
        // A newcomer's first guess: `--targets wg0.conf`. One line, nothing of the file quoted.
        if let kind = SourceKind.detect(bytes) {
            return ([], [ReportError(source: source, message: "this is a \(kind.description), not a list of targets: give it with --from \(SafeText.escaped(source, limit: 200)) (nothing of it was read as targets or printed)")])
        }
        var targets: [ProbeTarget] = []
        var errors: [ReportError] = []
        var unlisted = 0
        var seen: [String: Int] = [:]
        var lineNumber = 0
        func bad(_ message: String) {
            if errors.count < maximumErrors {
                errors.append(ReportError(source: "\(source):\(lineNumber)", message: message))
            } else {
                unlisted += 1
            }
        }
        // Sized once from the line count (a 10,000-line file grew the array to 16,384 targets), and
        // the lines walked in place rather than split into an array of slices first.
        let newline = UInt8(ascii: "\n")
        targets.reserveCapacity(min(bytes.reduce(1) { $0 + ($1 == newline ? 1 : 0) }, 1 << 20))
        var lineStart = bytes.startIndex
        var more = true
        while more {
            let lineEnd = bytes[lineStart...].firstIndex(of: newline) ?? bytes.endIndex
            more = lineEnd != bytes.endIndex
            defer { if more { lineStart = bytes.index(after: lineEnd) } }
            lineNumber += 1
            var line = bytes[lineStart..<lineEnd]
            if let hash = line.firstIndex(of: UInt8(ascii: "#")) { line = line[..<hash] }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            guard line.count <= maximumLineBytes else {
                bad("line too long (\(line.count) bytes; a target is at most \(maximumLineBytes)): \(SafeText.redactedQuote(String(decoding: line.prefix(64), as: UTF8.self)))")
                continue
            }
            guard !line.contains(0) else {
                bad("bad target: the line holds a NUL byte")
                continue
            }
            guard let text = String(validating: line, as: UTF8.self) else {
                bad("bad target \(SafeText.redactedQuote(String(decoding: line, as: UTF8.self))): not UTF-8 text")
                continue
            }
            do {
                let target = try ProbeTarget(parsing: text)
                if let first = seen[target.text] {
                    bad("duplicate of line \(first) (\(SafeText.redactedQuote(target.text))): probed once")
                    continue
                }
                seen[target.text] = lineNumber
                targets.append(target)
            } catch {
                bad(error.description)
            }
        }
        if unlisted > 0 {
            errors.append(ReportError(source: source, message: "\(unlisted) more bad lines not listed"))
        }
        // Mostly comments, blanks or bad lines: the list is kept for the whole run, not its room.
        if targets.capacity > 2 * targets.count + 64 {
            var trimmed: [ProbeTarget] = []
            trimmed.reserveCapacity(targets.count)
            trimmed.append(contentsOf: targets)
            targets = trimmed
        }
        return (targets, errors)
    }

    /// The targets of `text` (see ``parse(bytes:source:)``).
    package static func parse(_ text: String, source: String) -> (targets: [ProbeTarget], errors: [ReportError]) {
        parse(bytes: Array(text.utf8), source: source)
    }

    /// Parses targets given one per argument; bad ones become errors whose source is the argument.
    package static func parse(arguments: [String]) -> (targets: [ProbeTarget], errors: [ReportError]) {
        var targets: [ProbeTarget] = []
        var errors: [ReportError] = []
        for argument in arguments {
            do {
                targets.append(try ProbeTarget(parsing: argument))
            } catch {
                errors.append(ReportError(source: SafeText.escaped(argument), message: error.description))
            }
        }
        return (targets, errors)
    }

    /// Reads and parses a targets file; `-` is standard input. Read as a stream (`read(2)` to the
    /// end), so a pipe, a FIFO, `<(cmd)` and `/dev/null` work as well as a regular file. Throws a
    /// one-line reason when the file cannot be read at all.
    package static func read(path: String) throws(TargetFileError) -> (targets: [ProbeTarget], errors: [ReportError]) {
        let fd: Int32
        if path == "-" {
            fd = STDIN_FILENO
        } else {
            do {
                fd = try Syscall.open(path, O_RDONLY)
            } catch {
                throw TargetFileError(path: path, reason: error.description)
            }
        }
        defer { if fd != STDIN_FILENO { Syscall.close(fd) } }
        if let status = try? Syscall.status(fd), status.st_mode & S_IFMT == S_IFDIR {
            throw TargetFileError(path: path, reason: "it is a directory")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let read = chunk.withUnsafeMutableBytes { buffer in Result { () throws(Errno) in try Syscall.read(fd, into: buffer) } }
            let count: Int
            switch read {
            case .success(let value): count = value
            case .failure(let error): throw TargetFileError(path: path, reason: error.description)
            }
            if count == 0 { break }
            bytes += chunk[..<count]
            guard bytes.count <= maximumFileBytes else {
                throw TargetFileError(path: path, reason: "larger than \(maximumFileBytes >> 20) MiB")
            }
        }
        return parse(bytes: bytes, source: path == "-" ? "stdin" : path)
    }
}

/// A targets file that could not be read at all: `cannot read targets file 'x': it is a directory`.
package struct TargetFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The path as given.
    package var path: String
    /// Why, in a few words.
    package var reason: String

    /// One line.
    package var description: String { "cannot read targets file \(SafeText.quoted(path)): \(reason)" }
}
