/// Which candidates may win: `--country`, `--provider`, `--protocol`, `--exclude`. Pure.
public struct CandidateFilter: Hashable, Sendable, Codable {
    /// Countries allowed (names or ISO codes, any case); empty allows all.
    public var countries: [String]
    /// Providers allowed; empty allows all.
    public var providers: [String]
    /// Protocols allowed; empty allows all. (WireGuard servers without a free slot are left out
    /// in every ranking: ``CapacityRules/exclusion(_:)``.)
    public var protocols: [String]
    /// Servers left out by name, target, host or id; `*` matches any run of characters.
    public var excluded: [String]

    /// A filter (empty: everything may win).
    public init(countries: [String] = [], providers: [String] = [], protocols: [String] = [], excluded: [String] = []) {
        self.countries = countries
        self.providers = providers
        self.protocols = protocols
        self.excluded = excluded
    }

    /// Why `candidate` is left out, or `nil` when it may win.
    package func exclusion(_ candidate: Candidate) -> String? {
        var messages = Prepared.Messages()
        return prepared().exclusion(candidate, messages: &messages)
    }

    /// The filter with its lists lower-cased once, for ranking many candidates.
    func prepared() -> Prepared { Prepared(self) }

    /// A filter ready to test many candidates.
    struct Prepared {
        let filter: CandidateFilter
        let countries: Set<String>
        let providers: Set<String>
        let protocols: Set<String>
        let isEmpty: Bool

        init(_ filter: CandidateFilter) {
            self.filter = filter
            countries = Set(filter.countries.map { $0.lowercased() })
            providers = Set(filter.providers)
            protocols = Set(filter.protocols.map { $0.lowercased() })
            isEmpty = filter.countries.isEmpty && filter.providers.isEmpty && filter.protocols.isEmpty && filter.excluded.isEmpty
        }

        /// Verdicts already reached, by the value that decided them: a million candidates share a
        /// handful of countries, providers and protocols, so each is judged (and its reason written)
        /// once. A short list compared with `==` beats hashing for so few values.
        struct Messages {
            var country = Memo()
            var provider = Memo()
            var `protocol` = Memo()
        }

        /// Up to 32 values and their verdicts (`nil`: allowed); more are judged each time.
        struct Memo {
            var values: [String?] = []
            var verdicts: [String?] = []

            mutating func verdict(_ value: String?, judge: (String?) -> String?) -> String? {
                for index in values.indices where values[index] == value { return verdicts[index] }
                let verdict = judge(value)
                if values.count < 32 {
                    values.append(value)
                    verdicts.append(verdict)
                }
                return verdict
            }
        }

        func exclusion(_ candidate: borrowing Candidate, messages: inout Messages) -> String? {
            if isEmpty { return nil }
            if !countries.isEmpty, let message = messages.country.verdict(candidate.country, judge: { country in
                guard let country, countries.contains(country) || countries.contains(country.lowercased()) else {
                    return "country \(country ?? "unknown") is not \(filter.countries.joined(separator: " or "))"
                }
                return nil
            }) {
                return message
            }
            if !providers.isEmpty, let message = messages.provider.verdict(candidate.provider, judge: { provider in
                guard let provider, providers.contains(provider) else {
                    return "provider \(provider ?? "none") is not \(filter.providers.joined(separator: " or "))"
                }
                return nil
            }) {
                return message
            }
            if !protocols.isEmpty {
                if let message = messages.protocol.verdict(candidate.protocol, judge: { given in
                    guard let given, protocols.contains(given) || protocols.contains(given.lowercased()) else {
                        return "protocol \(given ?? "unknown") is not \(filter.protocols.joined(separator: " or "))"
                    }
                    return nil
                }) {
                    return message
                }
            }
            for pattern in filter.excluded where (candidate.names + [candidate.id]).contains(where: { CandidateFilter.matches($0, pattern) }) {
                return "excluded by '\(pattern)'"
            }
            return nil
        }
    }

    /// Case-insensitive match with `*` as a wildcard.
    package static func matches(_ text: String, _ pattern: String) -> Bool {
        let text = Array(text.lowercased()), pattern = Array(pattern.lowercased())
        var (t, p, star, mark) = (0, 0, -1, 0)
        while t < text.count {
            if p < pattern.count, pattern[p] == text[t] { t += 1; p += 1 }
            else if p < pattern.count, pattern[p] == "*" { star = p; mark = t; p += 1 }
            else if star >= 0 { p = star + 1; mark += 1; t = mark }
            else { return false }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}

extension CandidateFilter {
    enum CodingKeys: String, CodingKey {
        case countries, providers, protocols, excluded
    }

    /// Reads the value; every key is optional and takes its default when missing.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = CandidateFilter()
        countries = try container.value(.countries, or: defaults.countries)
        providers = try container.value(.providers, or: defaults.providers)
        protocols = try container.value(.protocols, or: defaults.protocols)
        excluded = try container.value(.excluded, or: defaults.excluded)
    }
}
