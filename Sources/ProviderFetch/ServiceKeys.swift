import SafeText
/// What a handshake probe needs of a server the user holds material for: the keys of its
/// wg-quick file (or of the Clash/sing-box WireGuard proxy made one), or the control-channel
/// protection of its OpenVPN profile. Read from the server's secrets; never shown (its
/// description names the kind only). Pure.
package enum ServiceKeys: Sendable, CustomStringConvertible {
    /// A WireGuard peer: the client's private key, the server's public key, the preshared key.
    case wireguard(privateKey: [UInt8], serverPublicKey: [UInt8], presharedKey: [UInt8]?, port: Int)
    /// An OpenVPN server: `udp` or `tcp`, its port, and how its control packets are protected.
    case openvpn(transport: String, port: Int, protection: OpenVPNProtection)

    /// `tls-auth`, `tls-crypt`, `tls-crypt-v2` or nothing, as an OpenVPN profile sets it.
    package enum OpenVPNProtection: Sendable {
        case none
        case tlsAuth(key: [UInt8], direction: Int?, digest: String)
        case tlsCrypt(key: [UInt8])
        case tlsCryptV2
        /// A key named by file, not inline: it cannot be read from the profile alone.
        case unreadable(String)
    }

    package var description: String {
        switch self {
        case .wireguard: "wireguard keys (withheld)"
        case .openvpn(let transport, let port, _): "openvpn \(transport) \(port) (keys withheld)"
        }
    }

    /// The keys of `server`, when its material holds them.
    package static func of(_ server: Server) -> ServiceKeys? {
        if let text = server.secrets["bundle_wireguard"] {
            return wireguard(text, host: server.host, port: server.port)
        }
        if let text = server.secrets["bundle_openvpn"] {
            let transport = (server.transport ?? "udp").lowercased().hasPrefix("tcp") ? "tcp" : "udp"
            return .openvpn(transport: transport, port: server.port ?? 1_194, protection: openVPNProtection(text))
        }
        return nil
    }

    /// The keys of a wg-quick file for the peer at `host:port` (the only peer, or the first with
    /// keys when none matches).
    package static func wireguard(_ text: String, host: String, port: Int?) -> ServiceKeys? {
        struct Peer { var publicKey: [UInt8]?; var presharedKey: [UInt8]?; var endpoint: (host: String, port: Int?)? }
        var privateKey: [UInt8]?
        var peers: [Peer] = []
        var section = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first?.trimmingSpaces() ?? ""
            if line.hasPrefix("[") {
                section = line.lowercased()
                if section == "[peer]" { peers.append(Peer()) }
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingSpaces().lowercased()
            let value = String(line[line.index(after: equals)...]).trimmingSpaces()
            if section == "[interface]", key == "privatekey" { privateKey = WireGuardKey.bytes(value) }
            guard section == "[peer]", !peers.isEmpty else { continue }
            switch key {
            case "publickey": peers[peers.count - 1].publicKey = WireGuardKey.bytes(value)
            case "presharedkey": peers[peers.count - 1].presharedKey = WireGuardKey.bytes(value)
            case "endpoint": peers[peers.count - 1].endpoint = BundleEntry.splitEndpoint(value)
            default: break
            }
        }
        guard let privateKey else { return nil }
        let usable = peers.filter { $0.publicKey != nil }
        let chosen = usable.first { $0.endpoint?.host == host && ($0.endpoint?.port ?? 51_820) == (port ?? 51_820) } ?? usable.first
        guard let chosen, let publicKey = chosen.publicKey else { return nil }
        return .wireguard(privateKey: privateKey, serverPublicKey: publicKey, presharedKey: chosen.presharedKey,
                          port: port ?? chosen.endpoint?.port ?? 51_820)
    }

    /// The control-channel protection an OpenVPN profile sets: inline `<tls-auth>`, `<tls-crypt>`
    /// or `<tls-crypt-v2>` blocks, `key-direction`, and `auth` (the tls-auth digest, SHA1 by default).
    package static func openVPNProtection(_ text: String) -> OpenVPNProtection {
        var blocks: [String: [String]] = [:]
        var inside: String?
        var direction: Int?
        var digest = "SHA1"
        var byFile: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingSpaces()
            let lower = line.lowercased()
            if let tag = inside {
                if lower == "</\(tag)>" { inside = nil } else { blocks[tag, default: []].append(line) }
                continue
            }
            if lower.hasPrefix("<"), lower.hasSuffix(">"), !lower.hasPrefix("</") {
                inside = String(lower.dropFirst().dropLast())
                continue
            }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let first = words.first?.lowercased() else { continue }
            switch first {
            case "key-direction": direction = words.count > 1 ? Int(words[1]) : nil
            case "auth": if words.count > 1 { digest = String(words[1]) }
            case "tls-auth":
                // `tls-auth FILE [DIRECTION]`, or `tls-auth [inline] [DIRECTION]` with an inline block.
                if words.count > 1, words[1].lowercased() != "[inline]" { byFile = "tls-auth" }
                if words.count > 2, let value = Int(words[2]) { direction = value }
            case "tls-crypt", "tls-crypt-v2":
                if words.count > 1, words[1].lowercased() != "[inline]" { byFile = first }
            default: break
            }
        }
        if blocks["tls-crypt-v2"] != nil { return .tlsCryptV2 }
        if let lines = blocks["tls-crypt"] {
            return staticKey(lines).map { .tlsCrypt(key: $0) } ?? .unreadable("the inline tls-crypt key is not an OpenVPN static key")
        }
        if let lines = blocks["tls-auth"] {
            return staticKey(lines).map { .tlsAuth(key: $0, direction: direction, digest: digest) }
                ?? .unreadable("the inline tls-auth key is not an OpenVPN static key")
        }
        if byFile == "tls-crypt-v2" { return .tlsCryptV2 }
        if let byFile { return .unreadable("its \(byFile) key is named by file, not inline") }
        return .none
    }

    /// The 256 bytes of an `OpenVPN Static key V1` block (hex lines between its markers).
    static func staticKey(_ lines: [String]) -> [UInt8]? {
        var hex: [UInt8] = []
        var inside = false
        for line in lines {
            if line.hasPrefix("-----BEGIN") { inside = true; continue }
            if line.hasPrefix("-----END") { break }
            if inside, !line.hasPrefix("#") { hex += line.utf8.filter { !$0.isASCIIWhitespace } }
        }
        guard hex.count == 512 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        var index = 0
        while index < hex.count {
            guard let high = hexValue(hex[index]), let low = hexValue(hex[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension UInt8 {
    fileprivate var isASCIIWhitespace: Bool { self == 0x20 || self == 0x09 || self == 0x0D || self == 0x0A }
}
