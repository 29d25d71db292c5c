import ProbeKit
import Foundation
import ProviderFetch
import SafeText

/// The part of YAML a web-config file uses: block mappings by indentation, plain, single- and
/// double-quoted scalars, `#` comments. A JSON object is read too (its text is also YAML, but
/// flow style is not parsed here). Anything else (sequences, anchors, multi-line scalars) is an
/// error naming the line.
enum SimpleYAML {
    /// A value: a scalar or a mapping (keys in file order).
    enum Node: Sendable {
        case scalar(String)
        case mapping([(String, Node)])
    }

    /// The top-level mapping of `text`.
    static func parse(_ text: String, source: String) throws(WebConfigurationError) -> [(String, Node)] {
        if text.drop(while: { $0.isWhitespace }).hasPrefix("{") { return try json(text, source: source) }
        var lines: [(number: Int, indent: Int, text: Substring)] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = stripComment(raw)
            guard !line.allSatisfy({ $0 == " " || $0 == "\r" }) else { continue }
            if line.first == "\t" || line.prefix(while: { $0 == " " }).last == "\t" {
                throw WebConfigurationError("\(source):\(index + 1): tabs cannot indent YAML")
            }
            let indent = line.prefix { $0 == " " }.count
            var body = line.dropFirst(indent)
            while body.last == " " || body.last == "\r" { body = body.dropLast() }
            if body == "---" { continue }
            lines.append((index + 1, indent, body))
        }
        var position = 0
        let mapping = try block(lines, &position, indent: lines.first?.indent ?? 0, source: source)
        if position < lines.count { throw WebConfigurationError("\(source):\(lines[position].number): indentation does not match any key above") }
        return mapping
    }

    private static func block(_ lines: [(number: Int, indent: Int, text: Substring)], _ position: inout Int, indent: Int, source: String) throws(WebConfigurationError) -> [(String, Node)] {
        var mapping: [(String, Node)] = []
        while position < lines.count, lines[position].indent == indent {
            let (number, _, text) = lines[position]
            if text == "-" || text.hasPrefix("- ") {
                throw WebConfigurationError("\(source):\(number): expected 'key: value' (sequences are not read here)")
            }
            guard let colon = keySeparator(text) else {
                throw WebConfigurationError("\(source):\(number): expected 'key: value' (only mappings and strings are read)")
            }
            let key = try scalar(text[..<colon], source: source, line: number)
            guard !mapping.contains(where: { $0.0 == key }) else { throw WebConfigurationError("\(source):\(number): \(SafeText.quoted(key)) is given twice") }
            let rest = text[text.index(after: colon)...].drop { $0 == " " }
            position += 1
            if rest.isEmpty {
                if position < lines.count, lines[position].indent > indent {
                    mapping.append((key, .mapping(try block(lines, &position, indent: lines[position].indent, source: source))))
                } else {
                    mapping.append((key, .scalar("")))
                }
            } else {
                if rest.first == "-" && (rest.count == 1 || rest.dropFirst().first == " ") || rest.first == "[" || rest.first == "{"
                    || rest.first == "&" || rest.first == "*" || rest.first == "|" || rest.first == ">" {
                    throw WebConfigurationError("\(source):\(number): only plain or quoted strings are read here")
                }
                mapping.append((key, .scalar(try scalar(rest, source: source, line: number))))
            }
        }
        return mapping
    }

    /// Where `key: value` separates (a colon followed by a space or the end, outside quotes).
    private static func keySeparator(_ text: Substring) -> Substring.Index? {
        firstUnquoted(in: text) { character, _, next in character == ":" && (next == nil || next == " ") }
    }

    /// A line without its comment (`#` at the start or after a space, outside quotes).
    private static func stripComment(_ line: Substring) -> Substring {
        firstUnquoted(in: line) { character, previous, _ in character == "#" && previous == " " }.map { line[..<$0] } ?? line
    }

    /// The first place outside single or double quotes where `matches(character, previous, next)`
    /// holds (`previous` is a space at the start, `next` nil at the end).
    private static func firstUnquoted(in text: Substring, where matches: (Character, Character, Character?) -> Bool) -> Substring.Index? {
        var quote: Character?
        var previous: Character = " "
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let after = text.index(after: index)
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if matches(character, previous, after < text.endIndex ? text[after] : nil) {
                return index
            }
            previous = character
            index = after
        }
        return nil
    }

    private static func scalar(_ text: Substring, source: String, line: Int) throws(WebConfigurationError) -> String {
        guard let first = text.first else { return "" }
        if first == "'" || first == "\"" {
            guard text.count >= 2, text.last == first else { throw WebConfigurationError("\(source):\(line): an unterminated quoted string") }
            guard let value = YAMLSubset.unescape(text.dropFirst().dropLast(), quote: first, lenient: false) else {
                throw WebConfigurationError("\(source):\(line): an escape probe does not read (it reads \\n, \\t, \\\", \\\\ and \\/)")
            }
            return value
        }
        return String(text)
    }

    /// A JSON object of objects and strings.
    private static func json(_ text: String, source: String) throws(WebConfigurationError) -> [(String, Node)] {
        guard let value = try? JSONValue.parse(Data(text.utf8)), case .object = value else {
            throw WebConfigurationError("\(source): not valid JSON")
        }
        func node(_ value: JSONValue, path: String) throws(WebConfigurationError) -> Node {
            switch value {
            case .string(let string): return .scalar(string)
            case .object(let members):
                var mapping: [(String, Node)] = []
                for key in members.keys.sorted() {
                    guard let member = members[key] else { continue }
                    mapping.append((key, try node(member, path: path.isEmpty ? key : path + "." + key)))
                }
                return .mapping(mapping)
            default: throw WebConfigurationError("\(source): \(path) must be a string or an object")
            }
        }
        guard case .mapping(let top) = try node(value, path: "") else { return [] }
        return top
    }
}
