import FoundationEssentials
import SafeText

/// One server of a bundle or subscription a user holds (a wg-quick file, one `remote` of an
/// OpenVPN profile, a share link, a Clash or sing-box proxy), with what a client needs to
/// connect to it. Becomes a normal ``Server`` (its material in the server's secrets, never shown).
package struct BundleEntry: Sendable {
    /// What a client is handed (secret: its description and reflection name the kind only).
    package enum Material: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
        /// A wg-quick file, as the user has it.
        case wireguard(String)
        /// An OpenVPN profile and which of its remotes this entry is.
        case openvpn(String, remote: Int)
        /// A proxy's connection fields (``ProxyOutbound``'s keys) and its share link as served.
        case proxy([String: JSONValue])

        package var description: String {
            switch self {
            case .wireguard: "wireguard (withheld)"
            case .openvpn(_, let remote): "openvpn remote \(remote) (withheld)"
            case .proxy: "proxy (withheld)"
            }
        }
        package var debugDescription: String { description }
        package var customMirror: Mirror { Mirror(self, children: []) }
    }

    /// Stable across runs: the file's relative path (`#2` for its second endpoint), or the node's
    /// name plus `host:port`.
    package var id: String
    package var name: String
    package var host: String
    package var port: Int?
    /// `wireguard`, `openvpn`, `vmess`, `vless`, `trojan`, `shadowsocks`, `hysteria2`, `tuic`.
    package var `protocol`: String
    /// The service's transport: `udp`, `tcp`, or a proxy's (`ws`, `grpc`, ...).
    package var transport: String?
    package var country: String?
    package var material: Material

    /// The server the ranking sees, its material in ``Server/secrets``.
    package func server(provider: String) -> Server {
        var fields: [String: JSONValue] = ["bundle_id": .string(id)]
        switch material {
        case .wireguard(let text): fields["bundle_wireguard"] = .string(text)
        case .openvpn(let text, let remote):
            fields["bundle_openvpn"] = .string(text)
            fields["bundle_remote"] = .number(Double(remote))
        case .proxy(let proxy): fields["bundle_proxy"] = .object(proxy)
        }
        return Server(provider: provider, id: "\(provider):\(id)", name: name, country: country, host: host, port: port,
                      protocol: self.protocol, transport: transport, secrets: ServerSecrets(fields))
    }

    /// Whether the service speaks UDP (probed by ICMP, never TCP-knocked at a guessed port).
    package static func isUDP(protocol: String?, transport: String?) -> Bool {
        let udpTransports: Set<String> = ["udp", "quic", "kcp", "mkcp"]
        let udpProtocols: Set<String> = ["wireguard", "hysteria", "hysteria2", "tuic"]
        return transport.map { udpTransports.contains($0.lowercased()) } == true || self.protocolIsUDP(`protocol`, udpProtocols)
    }

    private static func protocolIsUDP(_ name: String?, _ set: Set<String>) -> Bool { name.map { set.contains($0.lowercased()) } == true }

    /// A country from a name: a flag emoji, or a leading two-letter code (`de-fra-wg-001`,
    /// `de123.nordvpn.com`, `US East`).
    package static func country(from name: String) -> String? {
        let scalars = Array(name.unicodeScalars)
        for (index, scalar) in scalars.enumerated() where (0x1F1E6...0x1F1FF).contains(scalar.value) && index + 1 < scalars.count {
            let next = scalars[index + 1]
            guard (0x1F1E6...0x1F1FF).contains(next.value) else { continue }
            let code = String(UnicodeScalar(UInt8(scalar.value - 0x1F1E6 + 65))) + String(UnicodeScalar(UInt8(next.value - 0x1F1E6 + 65)))
            if CountryCode.normalise(code) != nil { return code }
        }
        let base = name.split(separator: "/").last.map(String.init) ?? name
        let tokens = base.split(whereSeparator: { "-_. ,|[]()".contains($0) })
        for token in tokens.prefix(2) {
            let letters = token.prefix { $0.isASCII && $0.isLetter }
            // `de123`, or `DE` beside other words (`DE Frankfurt`, `de-fra-wg-001`); a name that is
            // two letters alone (`SS`) says nothing.
            guard letters.count == 2, token.dropFirst(2).allSatisfy(\.isNumber), token.count > 2 || tokens.count > 1 else { continue }
            let code = letters.uppercased()
            if code != "WG", CountryCode.normalise(code) != nil { return code }
        }
        return nil
    }

    /// `host` as written in a file (`[v6]` unbracketed), or nil when it cannot be a host.
    static func cleanHost(_ text: some StringProtocol) -> String? {
        var host = String(text).trimmingSpaces()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, host.utf8.count <= 253, !host.contains(where: { $0.isWhitespace || $0.isControlCharacter || "/@?#\"'<>\\".contains($0) }) else {
            return nil
        }
        return host
    }

    /// `host:port` or `[v6]:port` split (`port` nil when not given).
    static func splitEndpoint(_ text: some StringProtocol) -> (host: String, port: Int?)? {
        let trimmed = String(text).trimmingSpaces()
        if trimmed.hasPrefix("["), let close = trimmed.firstIndex(of: "]") {
            let host = String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
            let rest = trimmed[trimmed.index(after: close)...]
            if rest.isEmpty { return cleanHost(host).map { ($0, nil) } }
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (1...65_535).contains(port), let clean = cleanHost(host) else { return nil }
            return (clean, port)
        }
        let parts = trimmed.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard let port = Int(parts[1]), (1...65_535).contains(port), let host = cleanHost(parts[0]) else { return nil }
            return (host, port)
        }
        return cleanHost(trimmed).map { ($0, nil) }  // a bare host, or a bare IPv6 address
    }
}
