/// Text from outside (a targets file, a provider's answer, a flag) made safe to print in one
/// line: control characters escaped, so nothing reaches the terminal as an escape sequence,
/// and long input cut, so a 1 MB line never becomes 1 MB of stderr.
public enum SafeText {
    /// How many characters of outside input an error line quotes.
    public static let quoteLimit = 100

    /// `text` as one printable line: control characters (C0, DEL, C1, and the line and paragraph
    /// separators) become `\n`, `\t`, `\u{1B}`...; invalid UTF-8 was already replaced by U+FFFD
    /// when the text was decoded. At most `limit` characters are kept, then `…`.
    public static func escaped(_ text: some StringProtocol, limit: Int = quoteLimit) -> String {
        var result = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit {
                result += "…"
                break
            }
            count += 1
            switch scalar.value {
            case 0x0A: result += "\\n"
            case 0x0D: result += "\\r"
            case 0x09: result += "\\t"
            case 0x00..<0x20, 0x7F..<0xA0, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069:
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: result.unicodeScalars.append(scalar)
            }
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
}
