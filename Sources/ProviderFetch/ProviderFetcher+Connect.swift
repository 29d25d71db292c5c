import SafeText
import FoundationEssentials

/// The hand-over: a server's connection material from its provider's API, and the release of
/// what was created for it.
extension ProviderFetcher {
    /// Names of the files material is written to, by kind.
    package static let fileNames: [String: String] = [
        "openvpn": "profile.ovpn", "openvpn_auth": "openvpn-auth.txt", "wireguard": "probe.conf", "uri": "uri.txt",
        "sing-box": "sing-box-outbound.json", "xray": "xray-outbound.json", "key": "key.txt",
        "mihomo": "mihomo-proxy.yaml", "gluetun": "gluetun.env",
    ]

    /// Fetches what a client needs to connect to `server` of the provider `spec`.
    ///
    /// - Parameters:
    ///   - protocol: the protocol asked for (`--protocol`); an error when the server speaks another.
    ///   - timeout: how long a WireGuard configuration may stay pending (`--connect-timeout`).
    ///   - progress: one line per step that waits (polling a pending configuration).
    ///   - allowScripts: keep the provider's script hooks (`--allow-scripts`); without it
    ///     ``MaterialPolicy`` removes them, and either way checks every value's syntax.
    /// - Throws: a one-line ``ProviderError`` naming the server and the reason: the documented
    ///   account problems (no service, not active, expired), a server of another protocol, 404, a
    ///   configuration that failed or stayed pending, a provider that gives no material.
    package func connect(
        _ server: Server, spec: ProviderSpec, protocol wanted: String? = nil, timeout: Duration = .seconds(60),
        progress: (@Sendable (String) -> Void)? = nil, allowScripts: Bool = false
    ) async throws(ProviderError) -> ConnectionMaterial {
        let label = "\(SafeText.escaped(server.name, limit: 60)) (\(SafeText.escaped(server.id, limit: 80)))"
        do throws(ProviderError) {
            if let wanted, let spoken = server.protocol?.lowercased(), !Self.speaks(spoken, wanted.lowercased()) {
                throw ProviderError(.unsupported, "speaks \(SafeText.escaped(spoken, limit: 20)), not \(SafeText.escaped(wanted, limit: 20))")
            }
            let served = try await backend(spec).connect(server, timeout: timeout, progress: progress)
            do throws(ProviderError) {
                // The user's own files are theirs (hooks and all); what came from a provider or a URL is checked.
                var checked = try MaterialPolicy.apply(served, allowScripts: allowScripts || served.userOwned)
                if served.userOwned, !allowScripts {
                    checked.notes = checked.notes.map { $0.replacingAll("provider commands kept because of --allow-scripts", with: "kept as in your own file") }
                }
                let resolve = self.resolve
                return HandoverExtras.extend(checked) { host in
                    HandoverExtras.isAddress(host) ? host : resolve?(host)
                }
            } catch {
                // Nothing usable: what was created for it is given back at once.
                if !served.created.isEmpty { _ = try? await release(served.created, spec: spec) }
                throw error
            }
        } catch {
            throw ProviderError(error.code, "\(label): \(error.message)")
        }
    }

    /// Gives back what ``connect(_:spec:protocol:timeout:progress:)`` created: VPNScript's WireGuard
    /// configuration (`DELETE /api/wireguard/delete`). Returns what was done, one line each; a
    /// configuration already gone counts as released.
    package func release(_ created: [String: Int], spec: ProviderSpec) async throws(ProviderError) -> [String] {
        guard !created.isEmpty else { return [] }
        return try await backend(spec).release(created)
    }

    /// Whether a server speaking `spoken` answers a request for `wanted` (`ss` is `shadowsocks`,
    /// `wg` `wireguard`, `ovpn` `openvpn`).
    package static func speaks(_ spoken: String, _ wanted: String) -> Bool {
        let alias: [String: String] = ["ss": "shadowsocks", "wg": "wireguard", "ovpn": "openvpn"]
        return (alias[spoken] ?? spoken) == (alias[wanted] ?? wanted)
    }

    static func message(_ answer: HTTPAnswer) -> String? {
        (try? answer.json()).flatMap { $0.first(["message", "error", "msg"])?.string }.map { SafeText.escaped($0, limit: 200) }
    }

    /// `url` with `name=value` added to its query.
    static func adding(_ name: String, _ value: String, to url: URL) -> URL {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return url }
        components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: name, value: value)]
        return components.url ?? url
    }

    /// A provider id as it is sent back: a number when it is one (`"server_id": 10`), else text.
    static func idValue(_ id: String) -> JSONValue {
        if let number = Int(id) { return .number(Double(number)) }
        return .string(id)
    }

    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(printf: "%.1f", value)
    }

    /// The key as served: a JSON string unwrapped (also under `key`, `access_key`, `data`,
    /// `data.key`), an object written as JSON, a body that is not JSON kept as text.
    static func keyMaterial(_ answer: HTTPAnswer) -> String? {
        guard let json = try? answer.json() else {
            return String(decoding: answer.body, as: UTF8.self).trimmingWhitespace()
        }
        if case .string(let text) = json { return text }
        for path in ["key", "access_key", "accessKey", "data.key", "data.access_key", "data"] {
            switch json.value(at: path) {
            case .string(let text)?: return text
            case .object(let members)? where path == "data" && !members.isEmpty: return JSONValue.object(members).text()
            default: continue
            }
        }
        return json.text()
    }

    /// Material from a key: `key` always, `uri` too when it is a share URI (its scheme the protocol).
    static func keyConnection(_ key: String, server: Server, kind: String = "key") -> ConnectionMaterial {
        Redaction.register(key)
        let isJSON = key.hasPrefix("{") || key.hasPrefix("[")
        let name = kind == "key" ? (isJSON ? "key.json" : fileNames["key"] ?? "key.txt") : fileNames[kind] ?? "\(kind).txt"
        var files = [MaterialFile(kind: kind, name: name, contents: key.hasSuffix("\n") ? key : key + "\n")]
        var protocolName = kind
        var host = server.host
        var port: Int?
        let schemes = ["vmess": "vmess", "vless": "vless", "trojan": "trojan", "ss": "shadowsocks", "hysteria2": "hysteria2", "tuic": "tuic"]
        if let scheme = key.split(separator: ":", maxSplits: 1).first.map({ $0.lowercased() }), let name = schemes[scheme], key.contains("://") {
            protocolName = name
            if kind != "uri" { files.append(MaterialFile(kind: "uri", name: fileNames["uri"] ?? "uri.txt", contents: key + "\n")) }
            if let vmess = VMessURI(key) {
                host = vmess.address ?? host
                port = vmess.port
            } else if let components = URLComponents(string: key), let linkHost = components.host, !linkHost.isEmpty {
                host = linkHost
                port = components.port
            }
        } else if kind == "wireguard", let endpoint = WireGuardConfig.endpoint(of: key) {
            host = endpoint.host
            port = endpoint.port
        } else if kind == "openvpn", let endpoint = OpenVPNProfile.endpoint(of: key) {
            host = endpoint.host
            port = endpoint.port
        }
        return ConnectionMaterial(protocol: protocolName, host: host, port: port, files: files)
    }
}
