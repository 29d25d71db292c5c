import FoundationEssentials
import SafeText

/// Countries as users type them and providers list them (`DE`, `de`, `Germany`, `🇩🇪`), turned
/// into ISO 3166-1 alpha-2 codes, so that `--country DE` selects the same servers whichever form
/// a provider gives.
package enum CountryCode {
    /// Common names that differ from the English region names (`UK`, `USA`, `Czech Republic`).
    static let aliases: [String: String] = [
        "uk": "GB", "great britain": "GB", "england": "GB", "britain": "GB", "usa": "US", "united states of america": "US",
        "america": "US", "czech republic": "CZ", "turkey": "TR", "türkiye": "TR", "south korea": "KR", "korea": "KR",
        "russian federation": "RU", "holland": "NL", "the netherlands": "NL", "uae": "AE", "hong kong sar": "HK",
        "hong kong sar china": "HK", "viet nam": "VN", "macedonia": "MK", "ivory coast": "CI", "burma": "MM",
    ]

    /// Lower-cased English names to codes (built once from ``englishNames``).
    private static let byName: [String: String] = {
        var table: [String: String] = [:]
        for (code, name) in englishNames { table[name.lowercased()] = code }
        return table
    }()

    /// The ISO code of `text` (a code in any case, an English name, a common alias, a flag emoji),
    /// and the name to show beside it; `nil` when it names no country probe knows.
    package static func normalise(_ text: String) -> (code: String, name: String?)? {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty, trimmed.count <= 64 else { return nil }
        if let flag = flagCode(trimmed) { return (flag, englishName(flag)) }
        let lower = trimmed.lowercased()
        if trimmed.count == 2, trimmed.allSatisfy({ $0.isASCII && $0.isLetter }), let name = englishName(trimmed.uppercased()) {
            return (trimmed.uppercased(), name)
        }
        if let code = aliases[lower] ?? byName[lower] { return (code, trimmed) }
        return nil
    }

    /// The code for `text`, or `text` itself when it names no known country.
    package static func code(_ text: String) -> String { normalise(text)?.code ?? text }

    static func englishName(_ code: String) -> String? { englishNames[code] }

    /// The code of a text that is a flag emoji and nothing else (two regional indicators).
    static func flagCode(_ text: String) -> String? {
        text.unicodeScalars.count == 2 ? firstFlag(in: text) : nil
    }

    /// The code of the first flag emoji in `text` (🇬🇧 gives GB), anywhere in it.
    static func firstFlag(in text: String) -> String? {
        let indicators = text.unicodeScalars.filter { (0x1F1E6...0x1F1FF).contains($0.value) }
        guard indicators.count >= 2 else { return nil }
        return String(String.UnicodeScalarView(indicators.prefix(2).compactMap { Unicode.Scalar($0.value - 0x1F1E6 + 65) }))
    }
}
