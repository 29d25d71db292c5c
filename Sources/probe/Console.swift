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

    /// Writes and empties `bytes` to stdout.
    static func flush(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        FileHandle.standardOutput.write(Data(bytes))
        bytes.removeAll(keepingCapacity: true)
    }

    /// Text on stdout.
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }
}
