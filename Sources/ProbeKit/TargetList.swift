public import Prober

/// Reads targets from text: one per line, `#` starts a comment, blank lines are ignored.
public enum TargetList {
    /// The targets of `text`, and one ``ReportError`` per bad line (`source:line`), so a bad
    /// line never loses the good ones.
    public static func parse(_ text: String, source: String) -> (targets: [ProbeTarget], errors: [ReportError]) {
        var targets: [ProbeTarget] = []
        var errors: [ReportError] = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = line.trimmingWhitespace()
            if trimmed.isEmpty { continue }
            do {
                targets.append(try ProbeTarget(parsing: trimmed))
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

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
