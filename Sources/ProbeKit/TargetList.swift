public import Prober

/// Reads targets from text: one per line, `#` starts a comment, blank lines are ignored.
public enum TargetList {
    /// The targets of `text`, and one ``ReportError`` per bad line (`source:line`), so a bad
    /// line never loses the good ones.
    public static func parse(_ text: String, source: String) -> (targets: [ProbeTarget], errors: [ReportError]) {
        var targets: [ProbeTarget] = []
        var errors: [ReportError] = []
        var lineNumber = 0
        // Bytes, not Characters: a targets file can hold hundreds of thousands of lines.
        for rawLine in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine
            if let hash = line.firstIndex(of: UInt8(ascii: "#")) { line = line[..<hash] }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do {
                targets.append(try ProbeTarget(parsing: String(decoding: line, as: UTF8.self)))
            } catch {
                errors.append(ReportError(source: "\(source):\(lineNumber)", message: error.description))
            }
        }
        return (targets, errors)
    }

    /// Parses targets given one per argument; bad ones become errors whose source is the argument.
    public static func parse(arguments: [String]) -> (targets: [ProbeTarget], errors: [ReportError]) {
        var targets: [ProbeTarget] = []
        var errors: [ReportError] = []
        for argument in arguments {
            do {
                targets.append(try ProbeTarget(parsing: argument))
            } catch {
                errors.append(ReportError(source: argument, message: error.description))
            }
        }
        return (targets, errors)
    }
}
