import Foundation

/// Writing to stdout and stderr.
enum Console {
    /// One line on stderr, prefixed `probe: `.
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("probe: \(message)\n".utf8))
    }

    /// One note on stderr unless quiet.
    static func note(_ message: String, quiet: Bool) {
        if !quiet { FileHandle.standardError.write(Data("\(message)\n".utf8)) }
    }

    /// Writes through a 64 KiB buffer to stdout: `body` gets the function to write with.
    static func buffered(_ body: ((String) -> Void) throws -> Void) rethrows {
        var buffer = Data()
        buffer.reserveCapacity(1 << 16)
        try body { text in
            buffer.append(contentsOf: text.utf8)
            if buffer.count >= 1 << 16 {
                FileHandle.standardOutput.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if !buffer.isEmpty { FileHandle.standardOutput.write(buffer) }
    }

    /// Text on stdout.
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }
}
