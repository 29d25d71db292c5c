import FoundationEssentials

/// What a file or an answer holds, told from its content (not its name): a wg-quick
/// configuration, an OpenVPN profile, a subscription (share links, plain or base64), a
/// Clash/mihomo YAML, a sing-box JSON, a zip. Pure.
package enum SourceKind: String, Hashable, Sendable, CaseIterable {
    /// A wg-quick `.conf`: `[Interface]` with a `PrivateKey`, `[Peer]`s.
    case wireguard
    /// An OpenVPN profile: `remote` with `client`/`dev`/`proto`/inline keys.
    case openvpn
    /// Share links (`vmess://`, `vless://`, `trojan://`, `ss://`, `hysteria2://`, `tuic://`), one
    /// per line, plain or base64.
    case subscription
    /// A Clash/mihomo configuration with a `proxies:` list.
    case clash
    /// A sing-box configuration with `outbounds`.
    case singBox = "sing-box"
    /// A zip archive.
    case zip

    /// What it is, for a message.
    package var description: String {
        switch self {
        case .wireguard: return "wg-quick configuration"
        case .openvpn: return "OpenVPN profile"
        case .subscription: return "subscription (share links)"
        case .clash: return "Clash/mihomo configuration"
        case .singBox: return "sing-box configuration"
        case .zip: return "zip archive"
        }
    }

    /// The share-link schemes a subscription holds.
    package static let schemes = ["vmess", "vless", "trojan", "ss", "ssr", "hysteria2", "hy2", "hysteria", "tuic", "wireguard", "wg"]

    /// The kind of `bytes` (its first 64 KiB are looked at), or nil: not one of these.
    package static func detect(_ bytes: some Collection<UInt8>) -> SourceKind? {
        let head = Array(bytes.prefix(64 << 10))
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) { return .zip }
        let text = String(decoding: head, as: UTF8.self)
        var lines: [Substring] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.drop { $0 == " " || $0 == "\t" || $0 == "\u{FEFF}" }
            if !trimmed.isEmpty, !trimmed.hasPrefix("#"), !trimmed.hasPrefix(";") { lines.append(trimmed) }
        }
        let lower = lines.map { $0.lowercased() }
        if lower.contains(where: { $0.hasPrefix("[interface]") }), lower.contains(where: { $0.hasPrefix("privatekey") || $0.hasPrefix("[peer]") }) {
            return .wireguard
        }
        let firstWords = Set(lower.map { String($0.prefix { $0 != " " && $0 != "\t" }) })
        if firstWords.contains("remote") || firstWords.contains("<connection>"),
           !firstWords.isDisjoint(with: ["client", "dev", "proto", "<ca>", "auth-user-pass", "tls-client", "nobind", "<connection>"]) {
            return .openvpn
        }
        if lines.contains(where: { $0.hasPrefix("proxies:") }) { return .clash }
        if let first = lines.first, first.hasPrefix("{"), text.contains("\"outbounds\"") { return .singBox }
        if isShareLinks(lines) { return .subscription }
        // One base64 blob (often line-wrapped) of share links.
        let compact = lines.joined()
        if compact.count >= 16, let decoded = Base64Text.decode(compact) {
            let inner = String(decoding: decoded, as: UTF8.self).split(whereSeparator: \.isNewline).map { $0.drop { $0 == " " } }.filter { !$0.isEmpty }
            if isShareLinks(inner) { return .subscription }
        }
        return nil
    }

    /// Whether most lines are share links (and at least one is).
    static func isShareLinks(_ lines: [Substring]) -> Bool {
        guard !lines.isEmpty else { return false }
        let links = lines.filter { line in
            guard let colon = line.firstIndex(of: ":"), line[colon...].hasPrefix("://") else { return false }
            return schemes.contains(line[..<colon].lowercased())
        }.count
        return links > 0 && links * 2 >= lines.count
    }
}

/// Base64 as subscriptions write it: standard or URL-safe alphabet, padded or not, wrapped or not.
package enum Base64Text {
    /// The bytes of `text` (white space ignored), or nil when it is not base64.
    package static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3 / 4)
        var bits: UInt32 = 0
        var count = 0
        var padding = 0
        for byte in text.utf8 {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = byte - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = byte - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"), UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "/"), UInt8(ascii: "_"): value = 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            case 0x20, 0x09, 0x0A, 0x0D: continue
            default: return nil
            }
            guard padding == 0 else { return nil }  // data after padding
            bits = (bits << 6) | UInt32(value)
            count += 6
            if count >= 8 {
                count -= 8
                out.append(UInt8((bits >> UInt32(count)) & 0xFF))
            }
        }
        guard padding <= 2, count < 6 else { return nil }
        return out
    }
}
