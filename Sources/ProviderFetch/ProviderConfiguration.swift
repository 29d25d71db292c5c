package import FoundationEssentials
import SafeText
import ProbeSystem

/// One provider as configured.
package struct ProviderSpec: Sendable {
    /// `xmplus`, `vpnscript`, `netmimic`, `json` or `static`.
    package var type: String
    /// The name used in output and errors.
    package var name: String
    /// Every configured field, as given (secrets not yet resolved).
    package var fields: JSONValue
    /// Per-request timeout (default 10 s).
    package var timeoutSeconds: Double
    /// Whether to fetch it at all.
    package var enabled: Bool

    /// A string field, secrets (`env:NAME`, `file:PATH`) resolved; throws naming provider and field.
    /// Every value read here is registered with ``Redaction``, so no error can print it.
    package func secret(_ field: String, required: Bool = true) throws(ProviderError) -> String? {
        let value = try resolve(field, required: required)
        if let value { Redaction.register(value) }
        return value
    }

    private func resolve(_ field: String, required: Bool) throws(ProviderError) -> String? {
        guard let raw = fields[field]?.string else {
            if required { throw ProviderError(.configuration, "missing '\(field)'", provider: name) }
            return nil
        }
        return try resolve(raw: raw, field: field)
    }

    /// A value that may be a secret reference (`env:NAME`, `file:PATH`), resolved and registered
    /// with ``Redaction`` (a subscription's header values).
    package func secret(raw: String, field: String) throws(ProviderError) -> String {
        let value = try resolve(raw: raw, field: field)
        Redaction.register(value)
        return value
    }

    private func resolve(raw: String, field: String) throws(ProviderError) -> String {
        if raw.hasPrefix("env:") {
            let variable = String(raw.dropFirst(4))
            guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else {
                throw ProviderError(.configuration, "\(field): environment variable \(variable) is not set", provider: name)
            }
            return value
        }
        if raw.hasPrefix("file:") {
            let path = String(raw.dropFirst(5))
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ProviderError(.configuration, "\(field): cannot read \(path)", provider: name)
            }
            return String(decoding: data, as: UTF8.self).trimmingWhitespace()
        }
        return raw
    }

    /// The `url` field, checked.
    package func baseURL() throws(ProviderError) -> URL {
        guard let text = fields["url"]?.string else { throw ProviderError(.configuration, "missing 'url'", provider: name) }
        guard let url = URL(string: text.hasSuffix("/") ? String(text.dropLast()) : text),
              let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil
        else { throw ProviderError(.configuration, "url '\(text)' is not an http(s) URL", provider: name) }
        return url
    }

    /// A path of this provider's API, relative to the configured `url` whether or not it is written
    /// with a leading `/` (`/client/servers` and `client/servers` are both `URL/client/servers`,
    /// keeping the URL's own path); a query string is kept. A full URL is accepted only on the
    /// provider's origin (credentials go nowhere else).
    package func endpoint(_ path: String) throws(ProviderError) -> URL {
        let base = try baseURL()
        if path.contains("://") {
            guard let url = URL(string: path), let origin = Origin(base), origin.admits(url) else {
                throw ProviderError(.configuration, "\(SafeText.quoted(path)) is not on \(Origin(base)?.description ?? "its url")", provider: name)
            }
            return url
        }
        let relative = path.drop { $0 == "/" }
        guard let url = URL(string: base.absoluteString + "/" + relative) else {
            throw ProviderError(.configuration, "\(SafeText.quoted(path)) is not a path", provider: name)
        }
        return url
    }

    /// Fields holding credentials, by provider type.
    var secretFields: [String] {
        ["password", "passwd", "apiKey", "secretKey", "token"] + (fields["auth"].map { _ in ["auth.secretKey", "auth.token", "auth.password"] } ?? [])
    }
}

/// The configuration file: `{"providers": [...]}`, plus sections later issues read.
package struct ProviderConfiguration: Sendable {
    /// The providers, in file order.
    package var providers: [ProviderSpec]
    /// Warnings to show once (inline secrets in a file others can read, credentials over plain HTTP).
    package var warnings: [String]
    /// The file's `ranking` section, as given (read by the ranking, not here).
    package var ranking: JSONValue? = nil
    /// Custom labels: each provider's own `labels`, then the top-level `labels` rules (see ``LabelRule``).
    package var labels: [LabelRule] = []

    /// A configuration of `providers` (no file: `--from` sources alone).
    package init(providers: [ProviderSpec], warnings: [String] = [], ranking: JSONValue? = nil, labels: [LabelRule] = []) {
        self.providers = providers
        self.warnings = warnings
        self.ranking = ranking
        self.labels = labels
    }

    /// The default path: `$XDG_CONFIG_HOME/probe/config.json`, else `~/.config/probe/config.json`.
    package static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return xdg + "/probe/config.json" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.config/probe/config.json" }
        return nil
    }

    /// Known provider types.
    package static let types: Set<String> = Set(ProviderKind.allCases.map(\.rawValue))

    /// Reads and checks a configuration file; every problem is one line naming the provider and field.
    package static func load(path: String) throws(ProviderError) -> ProviderConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProviderError(.configuration, "cannot read configuration file '\(path)'")
        }
        var configuration = try parse(data, source: path)
        let mode = AtomicFile.permissions(path) ?? 0
        let inline = configuration.providers.contains { spec in
            spec.secretFields.contains { field in
                guard let value = spec.fields.value(at: field)?.string else { return false }
                return !value.hasPrefix("env:") && !value.hasPrefix("file:")
            }
        }
        if inline, mode & 0o077 != 0 {
            configuration.warnings.append(
                "\(path) holds inline secrets and others can read it: 'chmod 600 \(path)', or use env:NAME or file:PATH")
        }
        return configuration
    }

    /// `data` with its `//` and `/* */` comments (outside strings) turned into spaces: a
    /// configuration file may be commented, as `probe config init` writes it.
    package static func withoutComments(_ data: Data) -> Data {
        var bytes = [UInt8](data)
        var index = 0
        var inString = false
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if byte == UInt8(ascii: "\\") { index += 2; continue }
                if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "/"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "/") {
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { bytes[index] = 0x20; index += 1 }
                continue
            } else if byte == UInt8(ascii: "/"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "*") {
                bytes[index] = 0x20
                bytes[index + 1] = 0x20
                index += 2
                while index < bytes.count, !(bytes[index] == UInt8(ascii: "*") && index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "/")) {
                    if bytes[index] != UInt8(ascii: "\n") { bytes[index] = 0x20 }
                    index += 1
                }
                for end in index..<min(index + 2, bytes.count) { bytes[end] = 0x20 }
                index += 2
                continue
            }
            index += 1
        }
        return Data(bytes)
    }

    /// Parses a configuration from JSON (`//` and `/* */` comments allowed).
    package static func parse(_ data: Data, source: String = "config") throws(ProviderError) -> ProviderConfiguration {
        let json: JSONValue
        do {
            json = try JSONValue.parse(withoutComments(data))
        } catch {
            throw ProviderError(.configuration, "\(source): not valid JSON")
        }
        guard case .array(let items)? = json["providers"] else {
            throw ProviderError(.configuration, "\(source): no \"providers\" array")
        }
        var providers: [ProviderSpec] = []
        var warnings: [String] = []
        var names = Set<String>()
        var labels: [LabelRule] = []
        for (index, item) in items.enumerated() {
            guard case .object = item else { throw ProviderError(.configuration, "\(source): provider \(index) is not an object") }
            let name = item["name"]?.string ?? "provider \(index)"
            guard let type = item["type"]?.string?.lowercased() else {
                throw ProviderError(.configuration, "missing 'type'", provider: name)
            }
            guard types.contains(type) else {
                throw ProviderError(.configuration, "unknown type '\(type)' (known: \(types.sorted().joined(separator: ", ")))", provider: name)
            }
            guard names.insert(name).inserted else { throw ProviderError(.configuration, "the name is used twice", provider: name) }
            var timeout = 10.0
            if let value = item["timeoutSeconds"] {
                guard let seconds = value.double, seconds > 0, seconds <= 600 else {
                    throw ProviderError(.configuration, "timeoutSeconds must be between 0 and 600", provider: name)
                }
                timeout = seconds
            }
            let spec = ProviderSpec(type: type, name: name, fields: item, timeoutSeconds: timeout, enabled: item["enabled"]?.bool ?? true)
            try validate(spec)
            if let own = item["labels"] {
                do {
                    labels.append(LabelRule(provider: name, patterns: [], labels: try LabelRule.labels(own, place: "labels")))
                } catch {
                    throw ProviderError(.configuration, error.message, provider: name)
                }
            }
            if let url = try? spec.baseURL(), url.scheme?.lowercased() == "http", !isLoopback(url.host ?? "") {
                warnings.append("provider '\(name)': credentials would go over plain http:// to \(url.host ?? "?")")
            }
            providers.append(spec)
        }
        if let rules = json["labels"] {
            do {
                labels += try LabelRule.rules(rules)
            } catch {
                throw ProviderError(.configuration, "\(source): \(error.message)")
            }
        }
        return ProviderConfiguration(providers: providers, warnings: warnings, ranking: json["ranking"], labels: labels)
    }

    /// The fields each type requires (secrets are checked for presence, not resolved).
    static func validate(_ spec: ProviderSpec) throws(ProviderError) {
        let required: [String]
        switch spec.type {
        case "xmplus": required = ["url", "email", "password", "apiKey"]
        case "vpnscript": required = ["url", "username", "password"]
        case "netmimic": required = ["url", "email", "password"]
        case "json", "subscription": required = ["url"]
        default: required = ["path"]
        }
        for field in required where spec.fields[field]?.string == nil {
            throw ProviderError(.configuration, "missing '\(field)'", provider: spec.name)
        }
        if spec.type != "static", spec.type != "files" { _ = try spec.baseURL() }
        if spec.type == "json", let auth = spec.fields["auth"] {
            let kind = auth["type"]?.string?.lowercased() ?? "none"
            switch kind {
            case "xpay":
                for field in ["username", "secretKey"] where auth[field]?.string == nil {
                    throw ProviderError(.configuration, "auth.\(field) is missing", provider: spec.name)
                }
            case "bearer":
                if auth["token"]?.string == nil { throw ProviderError(.configuration, "auth.token is missing", provider: spec.name) }
            case "none": break
            default:
                throw ProviderError(.configuration, "auth.type '\(kind)' is not xpay, bearer or none", provider: spec.name)
            }
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
    }
}
