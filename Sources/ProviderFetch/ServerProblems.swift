import SafeText

/// What was wrong with the entries of a provider's server list, one line each: an entry that is
/// not an object, names no host, or has a host or port of the wrong type is skipped; a figure of
/// the wrong type (load, WireGuard slots) is ignored and the server kept. Every other server of
/// the list is still used.
package final class ServerProblems {
    /// At most this many lines are kept; the rest are counted.
    package static let maximumLines = 20

    /// The first ``maximumLines`` problems, one line each (`server #3 (a.example): 'port' 'abc' is not a port number (1-65535): skipped`).
    package private(set) var lines: [String] = []
    /// How many problems there were in all.
    package private(set) var count = 0
    /// Entries of earlier pages: numbers in lines count from the first entry of the first page.
    var offset = 0

    /// An empty record.
    package init() {}

    /// The kept lines, then `... and N more` when some were only counted.
    package var summary: [String] {
        lines + (count > lines.count ? ["... and \(count - lines.count) more problem(s) in the server list"] : [])
    }

    func add(_ line: String) {
        count += 1
        if lines.count < Self.maximumLines { lines.append(line) }
    }

    /// Checks entry `index` (0-based) of a server list before it is decoded. Returns `false`, with
    /// a line, when the entry cannot be a server: not an object, or its host or port (the first
    /// present of `host` and `port`) has the wrong type. Figures in `numbers` of the wrong type get
    /// a line and are left to the decoder, which reads them as unknown.
    func admit(_ item: JSONValue, index: Int, host: [String], port: [String], numbers: [String]) -> Bool {
        let label = "server #\(offset + index + 1)"
        guard case .object = item else {
            add("\(label) is \(Self.kind(item)), not an object: skipped")
            return false
        }
        let named = item.first(host)
        let shown = named?.string.map { "\(label) (\(SafeText.escaped($0, limit: 60)))" } ?? label
        if let named, !Self.isText(named) {
            add("\(label): '\(Self.key(item, host) ?? "host")' is \(Self.kind(named)), not a host name or address: skipped")
            return false
        }
        // A NUL would cut the name where C reads it (`127.0.0.1\0.evil.example` is 127.0.0.1 to
        // inet_pton); a control character or space is no host's.
        if let text = named?.string, text.isEmpty || text.contains(where: { $0.isControlCharacter || $0 == " " }) || text.utf8.count > 1_024 {
            add("\(shown): '\(Self.key(item, host) ?? "host")' holds a control character, a space or nothing: not a host name or address: skipped")
            return false
        }
        if let value = item.first(port), ServerFields.port(value) == nil {
            add("\(shown): '\(Self.key(item, port) ?? "port")' \(Self.describe(value)) is not a port number (1-65535): skipped")
            return false
        }
        for key in numbers {
            guard let value = item[key], value != .null else { continue }
            if case .string(let text) = value, text.allSatisfy(\.isWhitespace) { continue }
            if value.double == nil || Self.isBool(value) {
                add("\(shown): '\(key)' \(Self.describe(value)) is not a number: ignored")
            }
        }
        return true
    }

    /// Records an entry that names no host at all.
    func noHost(index: Int, keys: [String]) {
        add("server #\(offset + index + 1) names no host (\(keys.prefix(4).joined(separator: ", "))): skipped")
    }

    private static func key(_ item: JSONValue, _ keys: [String]) -> String? {
        keys.first { key in item.first([key]) != nil }
    }

    private static func isText(_ value: JSONValue) -> Bool {
        if case .string = value { return true }
        return false
    }

    private static func isBool(_ value: JSONValue) -> Bool {
        if case .bool = value { return true }
        return false
    }

    /// `'abc'` or `(an object)`: a value as a line can show it.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return SafeText.quoted(text, limit: 40)
        case .number(let number): return value.string ?? String(number)
        default: return "(\(kind(value)))"
        }
    }

    static func kind(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "true/false"
        case .number: return "a number"
        case .string: return "text"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
