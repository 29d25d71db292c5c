import SafeText
/// An OpenVPN client profile as a provider serves it, made ready for the `openvpn` of the
/// machine it runs on. Pure: text in, text out.
///
/// - `auth-user-pass` points at the credentials file (an absolute path, so that
///   `openvpn --config DIR/profile.ovpn` works from any working directory);
/// - `ignore-unknown-option` lines move to the top: OpenVPN reads them in order, so the
///   documented profile (`block-outside-dns` first, the ignore line after) is refused otherwise;
/// - options OpenVPN 2.5 removed that a client never needs (`client-cert-not-required`, a server
///   option) are commented out, with a note, instead of failing the whole profile.
package struct OpenVPNProfile: Hashable, Sendable {
    /// The profile text.
    package var text: String
    /// What was changed, one line each.
    package var notes: [String]

    /// Options that OpenVPN 2.5 and later refuse as removed, and which a client does without.
    static let removedServerOptions: Set<String> = ["client-cert-not-required"]

    /// Adapts `served` and points `auth-user-pass` at `authPath` (added when the profile has none
    /// but asks for no certificate of its own).
    package init(served: String, authPath: String) {
        var notes: [String] = []
        let lines = served.replacingAll("\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var ignores: [String] = []
        var body: [String] = []
        var sawAuth = false
        var inBlock: String?
        for line in lines {
            let trimmed = line.trimmingPrefix(while: { $0 == " " || $0 == "\t" })
            if let block = inBlock {
                body.append(line)
                if trimmed.hasPrefix("</\(block)>") { inBlock = nil }
                continue
            }
            let option = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) ?? ""
            if option.hasPrefix("<"), !option.hasPrefix("</"), option.hasSuffix(">") {
                inBlock = String(option.dropFirst().dropLast())
                body.append(line)
                continue
            }
            switch option {
            case "ignore-unknown-option":
                ignores.append(String(trimmed))
            case "auth-user-pass":
                sawAuth = true
                body.append("auth-user-pass \(Self.quoted(authPath))")
            case _ where Self.removedServerOptions.contains(option):
                notes.append("openvpn: '\(option)' commented out (a server option OpenVPN 2.5+ refuses)")
                body.append("# \(trimmed)  # commented out by probe: a server option OpenVPN 2.5+ refuses")
            default:
                body.append(line)
            }
        }
        if !ignores.isEmpty { notes.append("openvpn: 'ignore-unknown-option' moved to the top (OpenVPN reads options in order)") }
        if !sawAuth {
            body.append("auth-user-pass \(Self.quoted(authPath))")
        }
        text = (ignores + body).joined(separator: "\n")
        if !text.hasSuffix("\n") { text += "\n" }
        self.notes = notes
    }

    /// The first `remote HOST [PORT [PROTO]]`, and the `proto` line: where the client connects.
    package static func endpoint(of profile: String) -> (host: String, port: Int, transport: String)? {
        var remote: (String, Int, String?)?
        var proto: String?
        for line in profile.split(whereSeparator: \.isNewline) {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let first = words.first else { continue }
            if first == "remote", remote == nil, words.count >= 2 {
                remote = (words[1], words.count >= 3 ? Int(words[2]) ?? 1194 : 1194, words.count >= 4 ? words[3] : nil)
            } else if first == "proto", words.count >= 2 {
                proto = words[1]
            } else if first == "port", words.count >= 2, let port = Int(words[1]), remote?.2 == nil {
                remote = remote.map { ($0.0, port, $0.2) }
            }
        }
        guard let remote else { return nil }
        let transport = (remote.2 ?? proto ?? "udp").lowercased()
        return (remote.0, remote.1, transport.hasPrefix("tcp") ? "tcp" : "udp")
    }

    /// The two lines OpenVPN's `auth-user-pass FILE` reads.
    package static func authFile(username: String, password: String) -> String { "\(username)\n\(password)\n" }

    /// A path in double quotes when it holds white space (OpenVPN's quoting).
    static func quoted(_ path: String) -> String {
        guard path.contains(where: { $0 == " " || $0 == "\t" || $0 == "\"" || $0 == "\\" }) else { return path }
        return "\"" + path.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\""
    }
}

/// A wg-quick configuration as a provider serves it: where its peer listens.
package enum WireGuardConfig {
    /// The `Endpoint = HOST:PORT` of the first `[Peer]` (`[v6]:port` too).
    package static func endpoint(of config: String) -> (host: String, port: Int)? {
        for line in config.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces() }
            guard parts.count == 2, parts[0].lowercased() == "endpoint" else { continue }
            let value = parts[1]
            guard let colon = value.lastIndex(of: ":"), let port = Int(value[value.index(after: colon)...]) else { return nil }
            var host = String(value[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            return (host, port)
        }
        return nil
    }

    /// Whether `config` looks like a wg-quick file: an `[Interface]` with a `PrivateKey`.
    package static func isConfiguration(_ config: String) -> Bool {
        config.contains("[Interface]") && config.lowercased().contains("privatekey")
    }

    /// Every private and preshared key of `config`, to be kept out of anything printed.
    package static func secrets(of config: String) -> [String] {
        config.split(whereSeparator: \.isNewline).compactMap { line in
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces() }
            guard parts.count == 2, ["privatekey", "presharedkey"].contains(parts[0].lowercased()) else { return nil }
            return parts[1]
        }
    }
}
