import FoundationEssentials
import Glibc
import ProbeCommandLine
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
        do {
            if format.accumulates {
                // The file holds every round written to it: what it has now (this run's rounds, and
                // another run's writing the same file: the lock keeps both), then this round.
                try AtomicFile.update(path) { existing throws(AtomicFile.WriteError) -> Data in
                    var content = existing.flatMap { $0.isEmpty ? nil : $0 } ?? Data(header.utf8)
                    content.append(Data(text.utf8))
                    return content
                }
            } else {
                try AtomicFile.write(Data(text.utf8), to: path)
            }
            wroteHeader = true
            return nil
        } catch {
            return "\(error)"
        }
    }
}
