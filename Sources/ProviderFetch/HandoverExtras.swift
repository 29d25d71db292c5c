import SafeText

/// The two kinds every WireGuard or OpenVPN connection also gets, from any source: `gluetun`
/// (`gluetun.env`, gluetun's custom provider) and, for WireGuard, `mihomo` (`mihomo-proxy.yaml`).
/// Pure: the endpoint's address comes resolved (gluetun takes no host names).
package enum HandoverExtras {
    /// The wg-quick fields these kinds are built from.
    package struct WireGuardFields: Sendable {
        package var privateKey: String?
        package var addresses: [String] = []
        package var dns: [String] = []
        package var mtu: Int?
        package var publicKey: String?
        package var presharedKey: String?
        package var endpoint: (host: String, port: Int)?

        /// Reads a wg-quick file (the first peer with an endpoint).
        package init(_ text: String) {
            var section = ""
            for raw in text.split(whereSeparator: \.isNewline) {
                let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map { $0.trimmingSpaces() } ?? ""
                if line.hasPrefix("[") { section = line.lowercased(); continue }
                guard let equals = line.firstIndex(of: "=") else { continue }
                let key = line[..<equals].trimmingSpaces().lowercased()
                let value = line[line.index(after: equals)...].trimmingSpaces()
                let list = value.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
                switch (section, key) {
                case ("[interface]", "privatekey"): privateKey = value
                case ("[interface]", "address"): addresses += list
                case ("[interface]", "dns"): dns += list
                case ("[interface]", "mtu"): mtu = Int(value)
                case ("[peer]", "publickey") where endpoint == nil: publicKey = value
                case ("[peer]", "presharedkey") where endpoint == nil: presharedKey = value
                case ("[peer]", "endpoint") where endpoint == nil:
                    if let (host, port) = BundleEntry.splitEndpoint(value) { endpoint = (host, port ?? 51_820) }
                default: continue
                }
            }
        }
    }

    /// `gluetun.env` for a WireGuard connection (`address`: the endpoint's IP), or why not.
    package static func gluetun(wireguard text: String, address: String?) -> Result<String, Problem> {
        let fields = WireGuardFields(text)
        guard let privateKey = fields.privateKey, let publicKey = fields.publicKey, let endpoint = fields.endpoint else {
            return .failure(Problem("gluetun.env not written: the WireGuard file lacks a PrivateKey, PublicKey or Endpoint"))
        }
        guard let address else {
            return .failure(Problem("gluetun.env not written: \(SafeText.quoted(endpoint.host, limit: 60)) did not resolve to an address (gluetun takes no host names)"))
        }
        var lines = [
            "VPN_SERVICE_PROVIDER=custom", "VPN_TYPE=wireguard", "WIREGUARD_ENDPOINT_IP=\(address)", "WIREGUARD_ENDPOINT_PORT=\(endpoint.port)",
            "WIREGUARD_PUBLIC_KEY=\(publicKey)", "WIREGUARD_PRIVATE_KEY=\(privateKey)",
        ]
        if let psk = fields.presharedKey { lines.append("WIREGUARD_PRESHARED_KEY=\(psk)") }
        if !fields.addresses.isEmpty { lines.append("WIREGUARD_ADDRESSES=\(fields.addresses.joined(separator: ","))") }
        return .success(lines.joined(separator: "\n") + "\n")
    }

    /// `gluetun.env` for an OpenVPN connection: the profile's path (as gluetun's container sees
    /// it: the file written beside this one) and the credentials when known.
    package static func gluetun(openvpnProfile path: String, user: String?, password: String?) -> String {
        var lines = ["VPN_SERVICE_PROVIDER=custom", "VPN_TYPE=openvpn", "OPENVPN_CUSTOM_CONFIG=\(path)"]
        if let user, let password {
            lines.append("OPENVPN_USER=\(user)")
            lines.append("OPENVPN_PASSWORD=\(password)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A mihomo `proxies:` entry for a WireGuard connection, or nil when the file lacks its keys.
    package static func mihomo(wireguard text: String, name: String) -> JSONValue? {
        let fields = WireGuardFields(text)
        guard let privateKey = fields.privateKey, let publicKey = fields.publicKey, let endpoint = fields.endpoint else { return nil }
        var proxy: [String: JSONValue] = [
            "name": .string(name), "type": .string("wireguard"), "server": .string(endpoint.host), "port": .number(Double(endpoint.port)),
            "private-key": .string(privateKey), "public-key": .string(publicKey), "udp": .bool(true),
        ]
        if let v4 = fields.addresses.first(where: { !$0.contains(":") }) { proxy["ip"] = .string(String(v4.split(separator: "/").first ?? "")) }
        if let v6 = fields.addresses.first(where: { $0.contains(":") }) { proxy["ipv6"] = .string(String(v6.split(separator: "/").first ?? "")) }
        if let psk = fields.presharedKey { proxy["pre-shared-key"] = .string(psk) }
        if !fields.dns.isEmpty { proxy["dns"] = .array(fields.dns.map(JSONValue.string)) }
        if let mtu = fields.mtu { proxy["mtu"] = .number(Double(mtu)) }
        return .object(proxy)
    }

    /// Whether `host` is an IPv4 or IPv6 address literal.
    package static func isAddress(_ host: String) -> Bool {
        if host.contains(":") { return host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." } }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { $0.count <= 3 && UInt8($0) != nil }
    }

    /// Why a kind was not written.
    package struct Problem: Error, Sendable {
        package var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// `material` with its `gluetun` (and for WireGuard `mihomo`) files added; `resolve` turns
    /// the endpoint's host into an address.
    package static func extend(_ material: ConnectionMaterial, resolve: (String) -> String?) -> ConnectionMaterial {
        var material = material
        guard !material.files.contains(where: { $0.kind == "gluetun" }) else { return material }
        if let wireguard = material.files.first(where: { $0.kind == "wireguard" }) {
            let fields = WireGuardFields(wireguard.contents)
            switch gluetun(wireguard: wireguard.contents, address: fields.endpoint.flatMap { resolve($0.host) }) {
            case .success(let env): material.files.append(MaterialFile(kind: "gluetun", name: ProviderFetcher.fileNames["gluetun"] ?? "gluetun.env", contents: env))
            case .failure(let problem): material.notes.append(problem.reason)
            }
            if let proxy = mihomo(wireguard: wireguard.contents, name: String(wireguard.name.dropLast(wireguard.name.hasSuffix(".conf") ? 5 : 0))) {
                material.files.append(MaterialFile(kind: "mihomo", name: ProviderFetcher.fileNames["mihomo"] ?? "mihomo-proxy.yaml", contents: "proxies:\n  - " + proxy.text(pretty: false) + "\n"))
            }
        } else if let profile = material.files.first(where: { $0.kind == "openvpn" }) {
            let auth = material.files.first { $0.kind == "openvpn_auth" }.map { $0.contents.split(whereSeparator: \.isNewline).map(String.init) }
            let env = gluetun(openvpnProfile: "/gluetun/" + profile.name, user: auth?.first, password: auth.flatMap { $0.count > 1 ? $0[1] : nil })
            material.files.append(MaterialFile(kind: "gluetun", name: ProviderFetcher.fileNames["gluetun"] ?? "gluetun.env", contents: env))
        }
        return material
    }
}
