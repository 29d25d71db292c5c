import FoundationEssentials
import SafeText

/// A share link (`vmess://`, `vless://`, `trojan://`, `ss://` SIP002 or legacy, `hysteria2://`
/// or `hy2://`, `tuic://`) read into the connection fields ``ProxyOutbound`` writes from, with the
/// link itself kept as served; the fragment is the name (percent-decoded). Pure.
package enum ShareLink {
    /// The entry of `link`, or why it is not one.
    package static func entry(_ link: String) -> Result<BundleEntry, Problem> {
        let trimmed = link.trimmingSpaces()
        guard !trimmed.contains(where: { $0.isControlCharacter }) else { return .failure(Problem("holds a control character")) }
        guard let colon = trimmed.firstRange(of: "://") else { return .failure(Problem("not a share link")) }
        let scheme = trimmed[..<colon.lowerBound].lowercased()
        var fields: [String: JSONValue] = ["uri": .string(trimmed)]
        let proto: String
        switch scheme {
        case "vmess":
            guard let payload = VMessURI.payload(trimmed) else { return .failure(Problem("vmess payload is not base64 JSON")) }
            proto = "vmess"
            fields["type"] = .string("vmess")
            for (key, value) in payload { fields["vmess_" + key] = value }
            fields["name"] = payload["ps"]
            fields["server"] = payload["add"]
            fields["port"] = payload["port"]
            fields["id"] = payload["id"]
            fields["alterid"] = payload["aid"].flatMap { $0.int.map { .number(Double($0)) } ?? $0.string.flatMap { Int($0) }.map { .number(Double($0)) } }
            fields["cipher"] = payload["scy"]
            fields["network"] = payload["net"]
            fields["security"] = payload["tls"]
            fields["sni"] = payload["sni"]
            fields["header"] = payload["type"]
            fields["path"] = payload["path"]
            fields["host_header"] = payload["host"]
            fields["fp"] = payload["fp"]
        case "ss":
            proto = "shadowsocks"
            fields["type"] = .string("shadowsocks")
            guard let parsed = shadowsocks(trimmed) else { return .failure(Problem("ss link is neither SIP002 nor the legacy base64 form")) }
            fields["server"] = .string(parsed.host)
            fields["port"] = .number(Double(parsed.port))
            fields["method"] = .string(parsed.method)
            fields["password"] = .string(parsed.password)
            fields["name"] = parsed.name.map(JSONValue.string)
        case "vless", "trojan", "hysteria2", "hy2", "tuic", "hysteria":
            proto = scheme == "hy2" ? "hysteria2" : scheme
            guard let components = URLComponents(string: trimmed), let rawHost = components.host, let host = BundleEntry.cleanHost(rawHost) else {
                return .failure(Problem("\(proto) link has no host"))
            }
            guard let port = components.port, (1...65_535).contains(port) else { return .failure(Problem("\(proto) link has no port")) }
            fields["type"] = .string(proto)
            fields["server"] = .string(host)
            fields["port"] = .number(Double(port))
            let user = components.percentEncodedUser.map { $0.percentDecoded ?? $0 }
            let password = components.percentEncodedPassword.map { $0.percentDecoded ?? $0 }
            if proto == "tuic" {
                fields["uuid"] = user.map(JSONValue.string)
                fields["password"] = password.map(JSONValue.string)
            } else {
                fields[proto == "vless" ? "uuid" : "password"] = (password.map { "\(user ?? ""):\($0)" } ?? user).map(JSONValue.string)
            }
            for item in components.queryItems ?? [] {
                guard let value = item.value, !value.isEmpty else { continue }
                switch item.name {
                case "security": fields["security"] = .string(value)
                case "sni", "peer": fields["sni"] = .string(value)
                case "type": fields["network"] = .string(value)
                case "headerType": fields["header"] = .string(value)
                case "host": fields["host_header"] = .string(value)
                case "path": fields["path"] = .string(value)
                case "serviceName": fields["servicename"] = .string(value)
                case "flow": fields["flow"] = .string(value)
                case "fp": fields["fp"] = .string(value)
                case "pbk": fields["pbk"] = .string(value)
                case "sid": fields["sid"] = .string(value)
                case "encryption": fields["encryption"] = .string(value)
                case "allowInsecure", "insecure": fields["allowinsecure"] = .bool(value == "1" || value.lowercased() == "true")
                case "alpn", "obfs", "obfs-password", "congestion_control", "udp_relay_mode": fields[item.name] = .string(value)
                default: continue
                }
            }
            if let fragment = components.fragment, !fragment.isEmpty { fields["name"] = .string(fragment) }
        default:
            return .failure(Problem("unknown scheme \(SafeText.quoted(scheme, limit: 20))"))
        }
        guard let host = fields["server"]?.string.flatMap(BundleEntry.cleanHost) else { return .failure(Problem("\(proto) link names no server")) }
        guard let port = fields["port"].flatMap(ServerFields.port) else { return .failure(Problem("\(proto) link has no valid port")) }
        guard (fields["password"]?.string ?? fields["uuid"]?.string ?? fields["id"]?.string).map({ !$0.isEmpty }) == true else {
            return .failure(Problem("\(proto) link has no password or UUID"))
        }
        let name = fields["name"]?.string.map { $0.percentDecoded ?? $0 } ?? "\(host):\(port)"
        fields["name"] = .string(name)
        let network = fields["network"]?.string?.lowercased()
        let transport = ["hysteria2", "hysteria", "tuic"].contains(proto) ? "udp" : (network ?? "tcp")
        return .success(BundleEntry(id: "\(name)@\(host.contains(":") ? "[\(host)]" : host):\(port)", name: name, host: host, port: port,
                                    protocol: proto, transport: transport, country: BundleEntry.country(from: name), material: .proxy(fields)))
    }

    /// Why a link is not an entry.
    package struct Problem: Error, Sendable {
        package var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// `ss://` as SIP002 (`ss://BASE64(method:password)@host:port#name`, or the userinfo
    /// percent-encoded `method:password`) or legacy (`ss://BASE64(method:password@host:port)#name`).
    static func shadowsocks(_ link: String) -> (method: String, password: String, host: String, port: Int, name: String?)? {
        var body = String(link.dropFirst(5))
        var name: String?
        if let hash = body.firstIndex(of: "#") {
            name = String(body[body.index(after: hash)...]).percentDecoded
            body = String(body[..<hash])
        }
        if let question = body.firstIndex(of: "?") { body = String(body[..<question]) }  // plugin options: not used here
        if body.hasSuffix("/") { body.removeLast() }
        func credentials(_ text: some StringProtocol) -> (String, String)? {
            let decoded = Base64Text.decode(text).map { String(decoding: $0, as: UTF8.self) } ?? (String(text).percentDecoded ?? String(text))
            guard let colon = decoded.firstIndex(of: ":") else { return nil }
            return (String(decoded[..<colon]), String(decoded[decoded.index(after: colon)...]))
        }
        if let at = body.lastIndex(of: "@") {
            guard let (method, password) = credentials(body[..<at]), let (host, port) = BundleEntry.splitEndpoint(body[body.index(after: at)...]), let port else { return nil }
            return (method, password, host, port, name)
        }
        guard let decoded = Base64Text.decode(body).map({ String(decoding: $0, as: UTF8.self) }), let at = decoded.lastIndex(of: "@"),
              let colon = decoded[..<at].firstIndex(of: ":"),
              let (host, port) = BundleEntry.splitEndpoint(decoded[decoded.index(after: at)...]), let port else { return nil }
        return (String(decoded[..<colon]), String(decoded[decoded.index(after: colon)..<at]), host, port, name)
    }

    /// The entries of a subscription: base64 (standard or URL-safe, padded or not, wrapped) of
    /// newline-separated links, or the links themselves; bad lines named `source: entry N: reason`.
    package static func subscription(_ text: String, source: String) -> ([BundleEntry], [String]) {
        var lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingSpaces() }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        if !lines.contains(where: { $0.contains("://") }), let decoded = Base64Text.decode(lines.joined()) {
            lines = String(decoding: decoded, as: UTF8.self).split(whereSeparator: \.isNewline).map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        }
        var entries: [BundleEntry] = []
        var problems: [String] = []
        for (index, line) in lines.enumerated() {
            switch entry(line) {
            case .success(let entry): entries.append(entry)
            case .failure(let problem): problems.append("\(SafeText.escaped(source, limit: 120)): entry \(index + 1): \(problem.reason): skipped")
            }
        }
        return (entries, problems)
    }
}
