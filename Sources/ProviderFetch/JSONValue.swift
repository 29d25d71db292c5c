package import FoundationEssentials

/// Any JSON value, decoded leniently: providers send numbers as strings, keys in several
/// spellings, and shapes their documentation does not show.
package enum JSONValue: Hashable, Sendable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number.
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object.
    case object([String: JSONValue])

    /// Parses JSON bytes; the error says in one line why they are not JSON.
    package static func parse(_ data: Data) throws(ProviderError) -> JSONValue {
        let parsed = data.withUnsafeBytes { raw in JSONParser.parse(raw.bindMemory(to: UInt8.self)) }
        guard let parsed else { throw ProviderError(.malformedJSON, "the answer is not valid JSON") }
        return parsed
    }

    /// The member `key` of an object.
    package subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The value at a dotted path (`success.data.items`, `servers.0.host`).
    package func value(at path: String) -> JSONValue? {
        var current: JSONValue? = self
        for part in path.split(separator: ".") where !part.isEmpty {
            switch current {
            case .object(let members)?: current = members[String(part)]
            case .array(let items)?:
                guard let index = Int(part), items.indices.contains(index) else { return nil }
                current = items[index]
            default: return nil
            }
        }
        return current
    }

    /// The first of `keys` that is present, not null and not an empty string.
    package func first(_ keys: [String]) -> JSONValue? {
        for key in keys {
            guard let value = self[key], value != .null else { continue }
            if case .string(let text) = value, text.allSatisfy(\.isWhitespace) { continue }
            return value
        }
        return nil
    }

    /// A string, or a number written as one; empty strings count as missing.
    package var string: String? {
        switch self {
        case .string(let text):
            let trimmed = Self.trimmed(text)
            return trimmed.isEmpty ? nil : trimmed
        case .number(let value): return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .bool(let value): return value ? "true" : "false"
        default: return nil
        }
    }

    /// `text` without leading and trailing ASCII white space; the same string when there is none
    /// (the common case costs no copy and no Foundation bridging).
    static func trimmed(_ text: String) -> String {
        let utf8 = text.utf8
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard let first = utf8.first, let last = utf8.last, isSpace(first) || isSpace(last) else { return text }
        guard let start = utf8.firstIndex(where: { !isSpace($0) }), let end = utf8.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(text[start...end])
    }

    /// A number, or a string holding one.
    package var double: Double? {
        switch self {
        case .number(let value): return value.isFinite ? value : nil
        case .string(let text): return Double(Self.trimmed(text)).flatMap { $0.isFinite ? $0 : nil }
        case .bool(let value): return value ? 1 : 0
        default: return nil
        }
    }

    /// A whole number, or a string holding one.
    package var int: Int? {
        guard let value = double, value == value.rounded(), abs(value) < 9e15 else { return nil }
        return Int(value)
    }

    /// A boolean, or 1/0, or "true"/"false".
    package var bool: Bool? {
        switch self {
        case .bool(let value): return value
        case .number(let value): return value != 0
        case .string(let text):
            switch text.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: return nil
            }
        default: return nil
        }
    }

    /// The members of an object (empty for anything else).
    package var objectMembers: [String: JSONValue] {
        if case .object(let members) = self { return members }
        return [:]
    }

    /// The elements of an array (an empty array for anything else).
    package var items: [JSONValue] {
        if case .array(let values) = self { return values }
        return []
    }
}
