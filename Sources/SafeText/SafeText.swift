/// Text from outside (a targets file, a provider's answer, a flag) made safe to print in one
/// line: control characters escaped, so nothing reaches the terminal as an escape sequence,
/// and long input cut, so a 1 MB line never becomes 1 MB of stderr.
public enum SafeText {
    /// How many characters of outside input an error line quotes.
    public static let quoteLimit = 100

    /// `text` as one printable line: control characters (C0, DEL, C1, and the line and paragraph
    /// separators) become `\n`, `\t`, `\u{1B}`...; invalid UTF-8 was already replaced by U+FFFD
    /// when the text was decoded. The cut is made after escaping: at most `limit` characters of
    /// the escaped text are kept (an escape is never cut in half), then `…`.
    public static func escaped(_ text: some StringProtocol, limit: Int = quoteLimit) -> String {
        var result = ""
        var count = 0
        for scalar in text.unicodeScalars {
            let piece: String
            switch scalar.value {
            case 0x0A: piece = "\\n"
            case 0x0D: piece = "\\r"
            case 0x09: piece = "\\t"
            case 0x00..<0x20, 0x7F..<0xA0, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069:
                piece = "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: piece = String(scalar)
            }
            let width = piece.unicodeScalars.count
            if count + width > limit {
                result += "…"
                break
            }
            count += width
            result += piece
        }
        return result
    }

    /// `'text'`, escaped and cut as ``escaped(_:limit:)`` does, for quoting input in an error.
    public static func quoted(_ text: some StringProtocol, limit: Int = quoteLimit) -> String {
        "'" + escaped(text, limit: limit) + "'"
    }

    /// A whole message as one line: like ``escaped(_:limit:)`` with a larger limit (messages
    /// quote at most ``quoteLimit`` characters of input each, so this only guards against a
    /// message that forgot to).
    public static func line(_ text: some StringProtocol, limit: Int = 2_000) -> String {
        escaped(text, limit: limit)
    }

    /// A short quote of a line from a file that may hold secrets (a wg-quick file given as a
    /// targets file): at most `limit` characters, escaped, with anything that looks like a
    /// secret replaced by `<redacted>` — the value of a `PrivateKey`, `PresharedKey`, `Password`,
    /// `Secret`, `Token` or `Key` field, and any run of 32 or more base64 or hex characters (a
    /// key of 24+ bytes).
    public static func redactedQuote(_ text: some StringProtocol, limit: Int = 40) -> String {
        "'" + escaped(redacted(String(text)), limit: limit) + "'"
    }

    /// `text` with secret-looking values replaced by `<redacted>` (see ``redactedQuote(_:limit:)``).
    public static func redacted(_ text: String) -> String {
        let secretKeys = ["privatekey", "presharedkey", "password", "passwd", "secret", "token", "key", "auth", "uuid", "psk"]
        // A `name = value` or `name: value` field whose name says it is a secret.
        // (`host:443` is no field: a YAML-like `name:` needs white space after it.)
        for separator: Character in ["=", ":"] {
            if let index = text.firstIndex(of: separator) {
                let after = text.index(after: index)
                guard separator == "=" || after == text.endIndex || text[after] == " " || text[after] == "\t" else { continue }
                let name = text[..<index].lowercased().filter { $0.isLetter }
                if secretKeys.contains(where: { name.hasSuffix($0) }) {
                    return String(text[...index]) + " <redacted>"
                }
            }
        }
        // Long runs of base64 or hex: keys whatever they are called.
        var out = ""
        var run = ""
        func flush() {
            out += run.count >= 32 ? "<redacted>" : run
            run = ""
        }
        for character in text {
            if character.isASCII, character.isLetter || character.isNumber || character == "+" || character == "/" || character == "=" || character == "-" || character == "_" {
                run.append(character)
            } else {
                flush()
                out.append(character)
            }
        }
        flush()
        return out
    }
}
