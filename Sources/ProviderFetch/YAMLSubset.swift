import SafeText
/// The YAML that Clash/mihomo configurations are written in, enough to read a `proxies:` list:
/// block mappings and sequences by indentation, one-line flow mappings and sequences, plain,
/// single- and double-quoted scalars, comments. Anchors, aliases and merge keys are not expanded
/// (a deep or recursive alias costs nothing): a value using one reads as ``alias``, which the
/// caller names as skipped. Depth is bounded. Pure.
package enum YAMLSubset {
    /// The value standing for an alias (`*name`) or merge (`<<`) that is not expanded.
    package static let alias = JSONValue.string("\u{0}alias")
    static let maximumDepth = 32

    struct Line {
        var indent: Int
        var text: Substring
        var number: Int
    }

    /// The block under the top-level key `key` (e.g. `proxies`), or nil when there is none.
    package static func topLevel(_ key: String, in text: String) -> JSONValue? {
        var lines: [Line] = []
        var collecting = false
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let content = stripComment(line)
            let trimmed = content.drop { $0 == " " }
            if trimmed.isEmpty { continue }
            let indent = content.count - trimmed.count
            if indent == 0, !trimmed.hasPrefix("-") {
                if collecting { break }
                if trimmed.hasPrefix(key + ":") {
                    collecting = true
                    let rest = trimmed.dropFirst(key.count + 1).drop { $0 == " " }
                    if !rest.isEmpty { return scalarOrFlow(rest, depth: 0) }
                }
                continue
            }
            if collecting { lines.append(Line(indent: indent, text: trimmed, number: number + 1)) }
        }
        guard collecting, !lines.isEmpty else { return collecting ? .array([]) : nil }
        var index = 0
        return block(lines, &index, indent: lines[0].indent, depth: 0)
    }

    static func block(_ lines: [Line], _ index: inout Int, indent: Int, depth: Int) -> JSONValue {
        guard depth < maximumDepth, index < lines.count else { return alias }
        if lines[index].text.hasPrefix("- ") || lines[index].text == "-" {
            var items: [JSONValue] = []
            while index < lines.count, lines[index].indent == indent, lines[index].text.hasPrefix("- ") || lines[index].text == "-" {
                let rest = lines[index].text.dropFirst(1).drop { $0 == " " }
                let column = indent + (lines[index].text.count - rest.count)
                if rest.isEmpty {
                    index += 1
                    items.append(index < lines.count && lines[index].indent > indent ? block(lines, &index, indent: lines[index].indent, depth: depth + 1) : .null)
                } else if keyValue(rest) != nil, !rest.hasPrefix("{"), !rest.hasPrefix("[") {
                    // `- key: value` starts a mapping whose keys stand at the column after `- `.
                    var copy = lines
                    copy[index] = Line(indent: column, text: rest, number: lines[index].number)
                    items.append(block(copy, &index, indent: column, depth: depth + 1))
                } else {
                    items.append(scalarOrFlow(rest, depth: depth + 1))
                    index += 1
                }
            }
            return .array(items)
        }
        var members: [String: JSONValue] = [:]
        while index < lines.count, lines[index].indent == indent, let (key, value) = keyValue(lines[index].text) {
            index += 1
            if key == "<<" { members[key] = alias; continue }
            if value.isEmpty {
                if index < lines.count, lines[index].indent > indent || (lines[index].indent == indent && lines[index].text.hasPrefix("- ")) {
                    members[key] = block(lines, &index, indent: lines[index].indent, depth: depth + 1)
                } else {
                    members[key] = .null
                }
            } else {
                members[key] = scalarOrFlow(value, depth: depth + 1)
            }
        }
        // Lines deeper than expected that belong to nothing (bad indentation) are passed over.
        while index < lines.count, lines[index].indent > indent { index += 1 }
        return .object(members)
    }

    /// `key: value` (the key plain or quoted), or nil.
    static func keyValue(_ text: Substring) -> (String, Substring)? {
        var key: String
        var rest: Substring
        if let quote = text.first, quote == "\"" || quote == "'" {
            guard let close = text.dropFirst().firstIndex(of: quote) else { return nil }
            key = String(text[text.index(after: text.startIndex)..<close])
            rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            rest = rest.dropFirst()
        } else {
            guard let colon = text.firstIndex(where: { $0 == ":" }) else { return nil }
            let after = text.index(after: colon)
            guard after == text.endIndex || text[after] == " " else { return nil }
            key = String(text[..<colon]).trimmingSpaces()
            rest = text[after...]
        }
        guard !key.isEmpty, !key.hasPrefix("{"), !key.hasPrefix("[") else { return nil }
        return (key, rest.drop { $0 == " " })
    }

    static func scalarOrFlow(_ text: Substring, depth: Int) -> JSONValue {
        guard depth < maximumDepth else { return alias }
        if text.hasPrefix("{") || text.hasPrefix("[") {
            var index = text.startIndex
            return flow(text, &index, depth: depth)
        }
        return scalar(text)
    }

    /// A one-line flow collection starting at `index`.
    static func flow(_ text: Substring, _ index: inout Substring.Index, depth: Int) -> JSONValue {
        // Too deep: the collection is passed over whole (the caller's loop must see it consumed).
        guard depth < maximumDepth else {
            skipFlow(text, &index)
            return alias
        }
        let open = text[index]
        let close: Character = open == "{" ? "}" : "]"
        index = text.index(after: index)
        var members: [String: JSONValue] = [:]
        var items: [JSONValue] = []
        while index < text.endIndex {
            // Every turn consumes something: hostile text never loops here (the fuzzer found one).
            let turn = index
            defer { if index == turn, index < text.endIndex { index = text.index(after: index) } }
            while index < text.endIndex, text[index] == " " || text[index] == "," { index = text.index(after: index) }
            guard index < text.endIndex else { break }
            if text[index] == close { index = text.index(after: index); break }
            var key: String?
            if open == "{" {
                let start = index
                let keyText = token(text, &index, stops: ":,}")
                guard index < text.endIndex, text[index] == ":" else { members[keyText] = .null; if index == start { index = text.index(after: index) }; continue }
                key = keyText
                index = text.index(after: index)
                while index < text.endIndex, text[index] == " " { index = text.index(after: index) }
            }
            var value: JSONValue
            if index < text.endIndex, text[index] == "{" || text[index] == "[" {
                value = flow(text, &index, depth: depth + 1)
            } else {
                let start = index
                let raw = token(text, &index, stops: open == "{" ? ",}" : ",]")
                value = scalar(Substring(raw))
                if index == start, index < text.endIndex, text[index] != close { index = text.index(after: index) }
            }
            if let key { members[key] = key == "<<" ? alias : value } else { items.append(value) }
        }
        return open == "{" ? .object(members) : .array(items)
    }

    /// Moves `index` past the flow collection that starts there (nesting and quotes counted), or
    /// to the end of the line when it is not closed.
    static func skipFlow(_ text: Substring, _ index: inout Substring.Index) {
        var depth = 0
        var quote: Character?
        while index < text.endIndex {
            let character = text[index]
            index = text.index(after: index)
            if let open = quote {
                if character == open { quote = nil }
                continue
            }
            switch character {
            case "\"", "'": quote = character
            case "{", "[": depth += 1
            case "}", "]":
                depth -= 1
                if depth <= 0 { return }
            default: break
            }
        }
    }

    /// A plain or quoted token up to one of `stops` (outside quotes).
    static func token(_ text: Substring, _ index: inout Substring.Index, stops: String) -> String {
        if let quote = text[index...].first, quote == "\"" || quote == "'" {
            let start = index
            index = text.index(after: index)
            while index < text.endIndex, text[index] != quote {
                if quote == "\"", text[index] == "\\" { index = text.index(after: index); if index == text.endIndex { break } }
                index = text.index(after: index)
            }
            if index < text.endIndex { index = text.index(after: index) }
            let raw = text[start..<index]
            while index < text.endIndex, !stops.contains(text[index]) { index = text.index(after: index) }
            return unquote(raw)
        }
        let start = index
        while index < text.endIndex, !stops.contains(text[index]) { index = text.index(after: index) }
        return String(text[start..<index]).trimmingSpaces()
    }

    static func scalar(_ raw: Substring) -> JSONValue {
        let text = raw.trimmingSpaces()
        if text.hasPrefix("\"") || text.hasPrefix("'") { return .string(unquote(Substring(text))) }
        if text.hasPrefix("*") { return alias }
        var plain = Substring(text)
        if plain.hasPrefix("&") { plain = plain.drop { $0 != " " }.drop { $0 == " " } }  // an anchor's name
        switch plain.lowercased() {
        case "true", "yes", "on": return .bool(true)
        case "false", "no", "off": return .bool(false)
        case "null", "~", "": return .null
        default: break
        }
        if let number = Int(plain) { return .number(Double(number)) }
        return .string(String(plain))
    }

    static func unquote(_ text: Substring) -> String {
        guard let quote = text.first, text.count >= 2, text.last == quote else { return String(text) }
        return unescape(text.dropFirst().dropLast(), quote: quote, lenient: true) ?? String(text)
    }

    /// The text inside a quoted YAML scalar: `''` is `'` inside single quotes; `\n`, `\t`, `\"`,
    /// `\\` and `\/` are read inside double quotes, and any other escape is kept as its character
    /// when `lenient`, else the whole is `nil` (a strict reader names it).
    package static func unescape(_ inner: Substring, quote: Character, lenient: Bool) -> String? {
        if quote == "'" { return inner.replacingAll("''", with: "'") }
        var out = ""
        var escaped = false
        for character in inner {
            if escaped {
                switch character {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "\"", "\\", "/": out.append(character)
                default:
                    guard lenient else { return nil }
                    out.append(character)
                }
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// The line without a comment (` #` outside quotes).
    static func stripComment(_ line: Substring) -> Substring {
        var quote: Character?
        var previous: Character = " "
        for index in line.indices {
            let character = line[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "#", previous == " " || previous == "\t" || index == line.startIndex {
                var end = index
                while end > line.startIndex, line[line.index(before: end)] == " " || line[line.index(before: end)] == "\t" { end = line.index(before: end) }
                return line[..<end]
            }
            previous = character
        }
        return line
    }
}

