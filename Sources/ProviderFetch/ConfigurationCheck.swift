import FoundationEssentials
import SafeText
import ProbeSystem

/// `probe config check`: everything wrong with a configuration file, one line each, before a run
/// finds it: not JSON, unknown keys (a typo'd field is silently unused otherwise), missing fields,
/// secrets written inline in a file others can read, `env:` variables that are not set and
/// `file:` secrets that cannot be read.
package enum ConfigurationCheck {
    /// Keys every provider may have.
    static let commonKeys: Set<String> = ["type", "name", "enabled", "timeoutSeconds", "labels", "loadKind"]
    /// Keys each provider type reads, beyond ``commonKeys``.
    static let typeKeys: [String: Set<String>] = [
        "xmplus": ["url", "email", "password", "apiKey", "deviceId", "deviceName"],
        "vpnscript": ["url", "username", "password", "deviceId", "deviceName"],
        "netmimic": ["url", "email", "password", "deviceId", "deviceName"],
        "json": ["url", "auth", "request", "items", "fields", "connect"],
        "static": ["path"],
        "files": ["path"],
        "subscription": ["url", "headers"],
    ]
    /// Top-level keys.
    static let topKeys: Set<String> = ["providers", "ranking", "labels", "$schema"]

    /// The problems of the file at `path` (empty: fine) and a one-line summary of what it holds.
    package static func check(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> (problems: [String], summary: String) {
        guard let data = FileManager.default.contents(atPath: path) else {
            return (["\(path): cannot read it (\(FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"))"], "")
        }
        let configuration: ProviderConfiguration
        do {
            configuration = try ProviderConfiguration.parse(data, source: path)
        } catch {
            let message = error.message.hasPrefix(path) ? error.message : "\(path): \(error.message)"
            return ([message], "")
        }
        var problems: [String] = []
        let json = (try? JSONValue.parse(ProviderConfiguration.withoutComments(data))) ?? .null
        if case .object(let members) = json {
            for key in members.keys.sorted() where !topKeys.contains(key) {
                problems.append("\(path): unknown key \(SafeText.quoted(key)) (known: labels, providers, ranking)")
            }
        }
        let mode = AtomicFile.permissions(path) ?? 0
        for spec in configuration.providers {
            let known = commonKeys.union(typeKeys[spec.type] ?? [])
            if case .object(let fields) = spec.fields {
                for key in fields.keys.sorted() where !known.contains(key) {
                    problems.append("\(path): provider '\(spec.name)': unknown key \(SafeText.quoted(key)) for type \(spec.type) (known: \(known.sorted().joined(separator: ", ")))")
                }
            }
            // A disabled provider is never fetched: its secrets need not be there yet.
            for field in spec.secretFields where spec.enabled {
                guard let value = spec.fields.value(at: field)?.string else { continue }
                if value.hasPrefix("env:") {
                    let name = String(value.dropFirst(4))
                    if (environment[name] ?? "").isEmpty {
                        problems.append("\(path): provider '\(spec.name)': \(field) reads the environment variable \(name), which is not set")
                    }
                } else if value.hasPrefix("file:") {
                    let file = String(value.dropFirst(5))
                    if !FileManager.default.isReadableFile(atPath: file) {
                        problems.append("\(path): provider '\(spec.name)': \(field) reads \(SafeText.quoted(file)), which cannot be read")
                    }
                } else if mode & 0o077 != 0 {
                    problems.append("\(path): provider '\(spec.name)': \(field) is written inline in a file others can read (mode \(String(mode & 0o777, radix: 8))): 'chmod 600 \(path)', or use env:NAME or file:PATH")
                }
            }
        }
        problems += configuration.warnings.filter { !$0.contains("holds inline secrets") }.map { "\(path): \($0)" }
        let rules = configuration.labels.filter { $0.provider == nil }.count
        let enabled = configuration.providers.filter(\.enabled).count
        var summary = "\(configuration.providers.count) provider(s), \(enabled) enabled" + (rules > 0 ? ", \(rules) label rule(s)" : "")
        if enabled == 0, !configuration.providers.isEmpty {
            summary += "; none is fetched until you set \"enabled\": true on yours and fill in its url and credentials"
        }
        return (problems, summary)
    }

    /// The file `probe config init` writes: every provider type, commented (`//` comments are
    /// allowed in the configuration file), secrets read from the environment.
    package static let example = """
        // probe's configuration: the providers to fetch servers from, how to rank them, custom labels.
        // Comments (//) are allowed. Check it with: probe config check
        // Secrets: "env:NAME" reads an environment variable, "file:PATH" a file; written inline,
        // this file must stay 0600 (probe config check says so when it is not).
        {
          "providers": [
            // XMPlus client API v2.
            {"type": "xmplus", "name": "xm", "url": "https://panel.example.com", "email": "me@example.com",
             "password": "env:XMPLUS_PASSWORD", "apiKey": "env:XMPLUS_API_KEY", "enabled": false},
            // VPNScript.
            {"type": "vpnscript", "name": "vs", "url": "https://vpn.example.com", "username": "me",
             "password": "env:VPNSCRIPT_PASSWORD", "enabled": false},
            // NetMimic (a Laravel API).
            {"type": "netmimic", "name": "nm", "url": "https://api.example.net", "email": "me@example.com",
             "password": "file:/etc/probe/secrets/netmimic-password", "enabled": false},
            // Any JSON list of servers; auth: none, bearer (token) or xpay (username, secretKey).
            {"type": "json", "name": "xp", "url": "https://api.example.org", "enabled": false,
             "auth": {"type": "xpay", "username": "me@example.org", "secretKey": "env:XPAY_SECRET_KEY"},
             "request": {"method": "POST", "path": "/client/servers"}, "items": "success.data.items"},
            // A static list: a JSON array of servers or a CSV file with a header row, next to this file.
            {"type": "static", "name": "mine", "path": "servers.csv", "enabled": false, "labels": {"tier": "own"}}
          ],
          // Ranking weights (the --loss-penalty, --jitter-weight ... flags win over these).
          "ranking": {"lossPenaltyMs": 500},
          // Custom labels for probe serve's metrics and the report: matched like --exclude.
          "labels": [{"match": ["*frankfurt*", "de-*"], "labels": {"site": "fra"}}]
        }

        """
}
