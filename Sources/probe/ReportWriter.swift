import Foundation
import ProbeKit

/// Writes each round: to standard output as it comes, or to a file replaced atomically
/// (a temporary file in the same directory, then `rename`), so a reader never sees half a report.
struct ReportWriter {
    let format: ReportFormat
    let path: String?
    private var wroteHeader = false

    init(format: ReportFormat, path: String?) {
        self.format = format
        self.path = path
    }

    /// Writes `text` (the round's output); returns a one-line problem when the file cannot be written.
    mutating func write(_ text: String, header: String) -> String? {
        guard let path else {
            var bytes = Array(((wroteHeader ? "" : header) + text).utf8)
            wroteHeader = true
            Console.flush(&bytes)
            return nil
        }
        var content = Data()
        if format.accumulates {
            // The file holds every round so far: what it had (when this run wrote it), then this round.
            if wroteHeader, let existing = FileManager.default.contents(atPath: path) { content = existing } else { content = Data(header.utf8) }
        }
        content.append(Data(text.utf8))
        wroteHeader = true
        do {
            try AtomicFile.write(content, to: path)
            return nil
        } catch {
            return "cannot write \(path): \(error)"
        }
    }
}
