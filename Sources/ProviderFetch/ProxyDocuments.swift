import FoundationEssentials
import SafeText

/// The proxies of a Clash/mihomo configuration (`proxies:`, flow or block style) and of a
/// sing-box configuration (`outbounds` with a `server`), as entries: ss, vmess, vless, trojan,
/// hysteria2, tuic and wireguard (a wg-quick file is made from its fields); other types and
/// entries using YAML aliases are named as skipped. `proxy-providers` are not fetched (said). Pure.
package enum ProxyDocuments {
    /// The entries of a Clash/mihomo YAML.
    package static func clash(_ text: String, source: String) -> ([BundleEntry], [String]) {
        let shown = SafeText.escaped(source, limit: 120)
        var problems: [String] = []
        if text.split(separator: "\n").contains(where: { $0.hasPrefix("proxy-providers:") }) {
            problems.append("\(shown): proxy-providers are not fetched (give their URLs with --from)")
        }
        guard case .array(let items)? = YAMLSubset.topLevel("proxies", in: text) else {
            return ([], problems + ["\(shown): no 'proxies:' list"])
        }
        var entries: [BundleEntry] = []
        for (index, item) in items.enumerated() {
            let label = "\(shown): entry \(index + 1)"
            guard case .object(let proxy) = item else { problems.append("\(label): not a mapping: skipped"); continue }
            if proxy.values.contains(YAMLSubset.alias) || proxy.values.contains(where: { Self.usesAlias($0) }) {
                problems.append("\(label): uses a YAML alias or merge key (not expanded): skipped")
                continue
            }
            func text(_ key: String) -> String? { proxy[key]?.string ?? proxy[key]?.int.map(String.init) }
            func nested(_ path: String) -> String? { JSONValue.object(proxy).value(at: path)?.string }
            let type = (text("type") ?? "").lowercased()
            var fields: [String: JSONValue] = ["name": proxy["name"] ?? .null, "server": proxy["server"] ?? .null, "port": proxy["port"] ?? .null]
            switch type {
            case "ss":
                fields["type"] = .string("shadowsocks"); fields["method"] = proxy["cipher"]; fields["password"] = proxy["password"]
            case "vmess", "vless", "trojan":
                fields["type"] = .string(type)
                fields[type == "trojan" ? "password" : "uuid"] = proxy[type == "trojan" ? "password" : "uuid"]
                fields["alterid"] = proxy["alterId"]
                fields["cipher"] = type == "vmess" ? proxy["cipher"] : nil
                fields["flow"] = proxy["flow"]
                fields["network"] = proxy["network"]
                fields["sni"] = proxy["servername"] ?? proxy["sni"]
                fields["fp"] = proxy["client-fingerprint"]
                fields["allowinsecure"] = proxy["skip-cert-verify"]
                let reality = nested("reality-opts.public-key")
                fields["security"] = .string(reality != nil ? "reality" : (proxy["tls"]?.bool == true || type == "trojan" ? "tls" : "none"))
                fields["pbk"] = reality.map(JSONValue.string)
                fields["sid"] = nested("reality-opts.short-id").map(JSONValue.string)
                fields["path"] = (nested("ws-opts.path") ?? nested("h2-opts.path")).map(JSONValue.string)
                fields["host_header"] = (nested("ws-opts.headers.Host") ?? nested("ws-opts.headers.host")).map(JSONValue.string)
                fields["servicename"] = nested("grpc-opts.grpc-service-name").map(JSONValue.string)
            case "hysteria2", "tuic":
                fields["type"] = .string(type)
                fields["password"] = proxy["password"]
                fields["uuid"] = proxy["uuid"]
                fields["sni"] = proxy["sni"]
            case "wireguard":
                entries += wireguard(proxy, label: label, problems: &problems, source: source)
                continue
            default:
                problems.append("\(label): type \(SafeText.quoted(type, limit: 20)) is not read (ss, vmess, vless, trojan, hysteria2, tuic, wireguard): skipped")
                continue
            }
            switch proxyEntry(fields) {
            case .success(let entry): entries.append(entry)
            case .failure(let problem): problems.append("\(label): \(problem.reason): skipped")
            }
        }
        return (entries, problems)
    }

    static func usesAlias(_ value: JSONValue) -> Bool {
        switch value {
        case .object(let members): return members.values.contains { $0 == YAMLSubset.alias || usesAlias($0) }
        case .array(let items): return items.contains { $0 == YAMLSubset.alias || usesAlias($0) }
        default: return false
        }
    }

    /// The entries of a sing-box JSON configuration's `outbounds`.
    package static func singBox(_ text: String, source: String) -> ([BundleEntry], [String]) {
        let shown = SafeText.escaped(source, limit: 120)
        guard let json = try? JSONValue.parse(Data(text.utf8)), case .array(let outbounds)? = json["outbounds"] else {
            return ([], ["\(shown): not a sing-box configuration (no 'outbounds' array)"])
        }
        var entries: [BundleEntry] = []
        var problems: [String] = []
        for (index, outbound) in outbounds.enumerated() {
            guard case .object(let members) = outbound, members["server"] != nil else { continue }  // selector, direct, dns...
            let label = "\(shown): outbound \(index + 1)"
            let type = (members["type"]?.string ?? "").lowercased()
            func nested(_ path: String) -> JSONValue? { outbound.value(at: path) }
            var fields: [String: JSONValue] = ["name": members["tag"] ?? .null, "server": members["server"] ?? .null, "port": members["server_port"] ?? .null]
            switch type {
            case "shadowsocks": fields["type"] = .string(type); fields["method"] = members["method"]; fields["password"] = members["password"]
            case "vmess", "vless", "trojan", "hysteria2", "tuic":
                fields["type"] = .string(type)
                fields["uuid"] = members["uuid"]
                fields["password"] = members["password"]
                fields["alterid"] = members["alter_id"]
                fields["cipher"] = type == "vmess" ? members["security"] : nil
                fields["flow"] = members["flow"]
                let reality = nested("tls.reality.public_key")
                fields["security"] = .string(reality != nil ? "reality" : (nested("tls.enabled")?.bool == true ? "tls" : "none"))
                fields["pbk"] = reality
                fields["sid"] = nested("tls.reality.short_id")
                fields["sni"] = nested("tls.server_name")
                fields["fp"] = nested("tls.utls.fingerprint")
                fields["network"] = nested("transport.type")
                fields["path"] = nested("transport.path")
                fields["host_header"] = nested("transport.headers.Host")
                fields["servicename"] = nested("transport.service_name")
            default:
                problems.append("\(label): type \(SafeText.quoted(type, limit: 20)) is not read: skipped")
                continue
            }
            switch proxyEntry(fields) {
            case .success(let entry): entries.append(entry)
            case .failure(let problem): problems.append("\(label): \(problem.reason): skipped")
            }
        }
        return (entries, problems)
    }

    /// An entry from normalised proxy fields (``ProxyOutbound``'s keys).
    static func proxyEntry(_ input: [String: JSONValue]) -> Result<BundleEntry, ShareLink.Problem> {
        var fields = input.filter { $0.value != .null }
        let proto = fields["type"]?.string ?? "proxy"
        guard let host = fields["server"]?.string.flatMap(BundleEntry.cleanHost) else { return .failure(ShareLink.Problem("\(proto): no server")) }
        guard let port = fields["port"].flatMap(ServerFields.port) else { return .failure(ShareLink.Problem("\(proto): no valid port")) }
        guard (fields["password"]?.string ?? fields["uuid"]?.string).map({ !$0.isEmpty }) == true else {
            return .failure(ShareLink.Problem("\(proto): no password or UUID"))
        }
        let name = fields["name"]?.string ?? "\(host):\(port)"
        fields["name"] = .string(name)
        let network = fields["network"]?.string?.lowercased()
        let transport = ["hysteria2", "hysteria", "tuic"].contains(proto) ? "udp" : (network ?? "tcp")
        return .success(BundleEntry(id: "\(name)@\(host.contains(":") ? "[\(host)]" : host):\(port)", name: name, host: host, port: port, protocol: proto,
                                    transport: transport, country: BundleEntry.country(from: name), material: .proxy(fields)))
    }

    /// A Clash `wireguard` proxy as a wg-quick file.
    static func wireguard(_ proxy: [String: JSONValue], label: String, problems: inout [String], source: String) -> [BundleEntry] {
        guard let host = proxy["server"]?.string.flatMap(BundleEntry.cleanHost), let port = proxy["port"].flatMap(ServerFields.port),
              let privateKey = proxy["private-key"]?.string, WireGuardKey.isValid(privateKey),
              let publicKey = proxy["public-key"]?.string, WireGuardKey.isValid(publicKey)
        else {
            problems.append("\(label): wireguard without server, port and valid private-key/public-key: skipped")
            return []
        }
        let addresses = [proxy["ip"]?.string.map { $0.contains("/") ? $0 : $0 + "/32" }, proxy["ipv6"]?.string.map { $0.contains("/") ? $0 : $0 + "/128" }].compactMap { $0 }
        var text = "[Interface]\nPrivateKey = \(privateKey)\n"
        if !addresses.isEmpty { text += "Address = \(addresses.joined(separator: ", "))\n" }
        if case .array(let dns)? = proxy["dns"] { text += "DNS = \(dns.compactMap(\.string).joined(separator: ", "))\n" }
        if let mtu = proxy["mtu"]?.int { text += "MTU = \(mtu)\n" }
        text += "\n[Peer]\nPublicKey = \(publicKey)\n"
        if let psk = proxy["pre-shared-key"]?.string, WireGuardKey.isValid(psk) { text += "PresharedKey = \(psk)\n" }
        text += "AllowedIPs = 0.0.0.0/0, ::/0\nEndpoint = \(host.contains(":") ? "[\(host)]" : host):\(port)\n"
        let name = proxy["name"]?.string ?? "\(host):\(port)"
        // Checked like any wg-quick file (what reaches wg-quick is only what the sanitizer keeps).
        let clean = WireGuardSanitizer(text).text
        return [BundleEntry(id: "\(name)@\(host.contains(":") ? "[\(host)]" : host):\(port)", name: name, host: host, port: port, protocol: "wireguard",
                            transport: "udp", country: BundleEntry.country(from: name), material: .wireguard(clean))]
    }
}
