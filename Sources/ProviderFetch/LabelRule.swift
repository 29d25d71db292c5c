import SafeText

/// Custom labels (`site`, `tier`, ...) the configuration gives servers, for the Prometheus
/// metrics and the report's `labels`.
///
/// Two places in the configuration file give them: a provider's own `labels` object (every server
/// of that provider), and the top-level `labels` array of rules, each `{"match": PATTERN or
/// [PATTERN, ...], "labels": {...}}` matched like `--exclude` against a server's name, target,
/// host or id (case-insensitive, `*` a wildcard). Later rules win over earlier ones, and rules
/// over a provider's own labels.
package struct LabelRule: Hashable, Sendable {
    /// The provider whose servers all get ``labels`` (a provider's own `labels`), or `nil` for a rule.
    package var provider: String?
    /// The patterns of a rule (any one matching is enough); empty for a provider's own labels.
    package var patterns: [String]
    /// The labels, in the order written.
    package var labels: [Label]

    /// One label.
    package struct Label: Hashable, Sendable {
        /// Its name (a Prometheus label name).
        package var name: String
        /// Its value.
        package var value: String
    }

    /// Label names probe's own metrics use, and the ones Prometheus gives every scraped series:
    /// a configured label may not take them.
    package static let reserved: Set<String> = ["target", "address", "method", "provider", "name", "country", "le", "quantile", "job", "instance"]

    /// Whether `name` may be a configured label's name: a Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`),
    /// not reserved for Prometheus's own (`__`) or probe's.
    package static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !name.hasPrefix("__"), !reserved.contains(name) else { return false }
        func letter(_ scalar: Unicode.Scalar) -> Bool { ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || scalar == "_" }
        return letter(first) && name.unicodeScalars.allSatisfy { letter($0) || ("0"..."9").contains($0) }
    }

    /// The labels of a `labels` object (strings, numbers and booleans as text); throws one line
    /// naming `place` and the label.
    package static func labels(_ value: JSONValue, place: String) throws(ProviderError) -> [Label] {
        guard case .object(let members) = value else { throw ProviderError(.configuration, "\(place) must be an object of label names to values") }
        var labels: [Label] = []
        for (name, value) in members {
            guard isValidName(name) else {
                throw ProviderError(.configuration, "\(place): \(SafeText.quoted(name)) is not a label name probe can give ([a-zA-Z_][a-zA-Z0-9_]*, not __*, not one of \(reserved.sorted().joined(separator: ", ")))")
            }
            let text: String
            switch value {
            case .string(let string): text = string
            case .number(let number): text = number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
            case .bool(let flag): text = flag ? "true" : "false"
            default: throw ProviderError(.configuration, "\(place).\(name) must be a string, number or boolean")
            }
            guard text.utf8.count <= 1_024 else { throw ProviderError(.configuration, "\(place).\(name) is longer than 1024 bytes") }
            labels.append(Label(name: name, value: text))
        }
        return labels.sorted { $0.name < $1.name }
    }

    /// The top-level `labels` array of a configuration file.
    package static func rules(_ value: JSONValue) throws(ProviderError) -> [LabelRule] {
        guard case .array(let items) = value else { throw ProviderError(.configuration, "labels must be an array of {\"match\": ..., \"labels\": {...}}") }
        var rules: [LabelRule] = []
        for (index, item) in items.enumerated() {
            let place = "labels[\(index)]"
            let patterns: [String]
            switch item["match"] {
            case .string(let pattern)?: patterns = [pattern]
            case .array(let values)?:
                patterns = values.compactMap(\.string)
                guard patterns.count == values.count, !patterns.isEmpty else { throw ProviderError(.configuration, "\(place).match must be a pattern or a non-empty array of patterns") }
            default: throw ProviderError(.configuration, "\(place).match must be a pattern or a non-empty array of patterns")
            }
            guard let labels = item["labels"] else { throw ProviderError(.configuration, "\(place) has no labels") }
            rules.append(LabelRule(provider: nil, patterns: patterns, labels: try Self.labels(labels, place: "\(place).labels")))
        }
        return rules
    }
}
