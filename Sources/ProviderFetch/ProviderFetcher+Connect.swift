import SafeText
import Foundation

/// The hand-over: a server's connection material from its provider's API, and the release of
/// what was created for it.
extension ProviderFetcher {
    /// Names of the files material is written to, by kind.
    package static let fileNames: [String: String] = [
        "openvpn": "profile.ovpn", "openvpn_auth": "openvpn-auth.txt", "wireguard": "probe.conf", "uri": "uri.txt",
        "sing-box": "sing-box-outbound.json", "xray": "xray-outbound.json", "key": "key.txt",
    ]

    /// Fetches what a client needs to connect to `server` of the provider `spec`.
    ///
    /// - Parameters:
    ///   - protocol: the protocol asked for (`--protocol`); an error when the server speaks another.
    ///   - timeout: how long a WireGuard configuration may stay pending (`--connect-timeout`).
    ///   - progress: one line per step that waits (polling a pending configuration).
    /// - Throws: a one-line ``ProviderError`` naming the server and the reason: the documented
    ///   account problems (no service, not active, expired), a server of another protocol, 404, a
    ///   configuration that failed or stayed pending, a provider that gives no material.
    package func connect(
        _ server: Server, spec: ProviderSpec, protocol wanted: String? = nil, timeout: Duration = .seconds(60),
        progress: (@Sendable (String) -> Void)? = nil
    ) async throws(ProviderError) -> ConnectionMaterial {
        let label = "\(SafeText.escaped(server.name, limit: 60)) (\(SafeText.escaped(server.id, limit: 80)))"
        do throws(ProviderError) {
            if let wanted, let spoken = server.protocol?.lowercased(), !Self.speaks(spoken, wanted.lowercased()) {
                throw ProviderError(.unsupported, "speaks \(SafeText.escaped(spoken, limit: 20)), not \(SafeText.escaped(wanted, limit: 20))")
            }
            switch spec.type {
            case "vpnscript": return try await vpnscriptMaterial(server, spec, timeout: timeout, progress: progress)
            case "xmplus": return try xmplusMaterial(server)
            case "netmimic": return try await netmimicMaterial(server, spec)
            case "json": return try await jsonMaterial(server, spec)
            default:
                throw ProviderError(.unsupported, "a \(spec.type) list carries no connection material")
            }
        } catch {
            throw ProviderError(error.code, "\(label): \(error.message)")
        }
    }

    /// Gives back what ``connect(_:spec:protocol:timeout:progress:)`` created: VPNScript's WireGuard
    /// configuration (`DELETE /api/wireguard/delete`). Returns what was done, one line each; a
    /// configuration already gone counts as released.
    package func release(_ created: [String: Int], spec: ProviderSpec) async throws(ProviderError) -> [String] {
        guard let configID = created["wireguard_config_id"] else { return [] }
        guard spec.type == "vpnscript" else {
            throw ProviderError(.unsupported, "'wireguard_config_id' belongs to a vpnscript provider, not \(spec.type)")
        }
        let base = try spec.baseURL()
        let answer = try await vpnscriptSend(spec, "DELETE", base.appendingPathComponent("api/wireguard/delete"),
                                             body: .object(["config_id": .number(Double(configID))]))
        switch answer.status {
        case 200..<300: return ["wireguard configuration \(configID) deleted"]
        case 404: return ["wireguard configuration \(configID) was already gone"]
        default: throw vpnscriptFailure(answer, "wireguard delete")
        }
    }

    /// Whether a server speaking `spoken` answers a request for `wanted` (`ss` is `shadowsocks`,
    /// `wg` `wireguard`, `ovpn` `openvpn`).
    package static func speaks(_ spoken: String, _ wanted: String) -> Bool {
        let alias: [String: String] = ["ss": "shadowsocks", "wg": "wireguard", "ovpn": "openvpn"]
        return (alias[spoken] ?? spoken) == (alias[wanted] ?? wanted)
    }

    // MARK: VPNScript

    /// A VPNScript request with the cached token; a 401 gets one fresh login and a second try.
    func vpnscriptSend(_ spec: ProviderSpec, _ method: String, _ url: URL, body: JSONValue? = nil) async throws(ProviderError) -> HTTPAnswer {
        let http = client(spec)
        let key = try vpnscriptKey(spec)
        let token: String
        if let cached = cache.token(for: key) { token = cached.token } else { token = try await vpnscriptLogin(spec, http) }
        let answer = try await http.send(method, url, headers: ["Authorization": "Bearer \(token)"], json: body)
        guard answer.status == 401 else { return answer }
        cache.remove(key)
        let fresh = try await vpnscriptLogin(spec, http)
        let again = try await http.send(method, url, headers: ["Authorization": "Bearer \(fresh)"], json: body)
        if again.status == 401 { throw ProviderError(.authentication, "401 after a fresh login: \(message(again) ?? "Unauthenticated.")") }
        return again
    }

    /// The documented errors (422 account and server problems, 404 not found) as one line.
    func vpnscriptFailure(_ answer: HTTPAnswer, _ what: String) -> ProviderError {
        let text = message(answer)
        switch answer.status {
        case 404: return ProviderError(.notFound, "\(what): \(text ?? "not found") (HTTP 404)")
        case 422: return ProviderError(.unavailable, "\(what): \(text ?? "refused") (HTTP 422)")
        case 400: return ProviderError(.suspended, "\(what): \(text ?? "the account is suspended") (HTTP 400)")
        default: return failure(answer, what)
        }
    }

    func message(_ answer: HTTPAnswer) -> String? {
        (try? answer.json()).flatMap { $0.first(["message", "error", "msg"])?.string }.map { SafeText.escaped($0, limit: 200) }
    }

    /// `url` with `name=value` added to its query.
    static func adding(_ name: String, _ value: String, to url: URL) -> URL {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return url }
        components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: name, value: value)]
        return components.url ?? url
    }

    private func vpnscriptMaterial(
        _ server: Server, _ spec: ProviderSpec, timeout: Duration, progress: (@Sendable (String) -> Void)?
    ) async throws(ProviderError) -> ConnectionMaterial {
        guard let id = server.providerID else { throw ProviderError(.unexpectedShape, "the server list gave no id for it") }
        let base = try spec.baseURL()
        switch server.protocol?.lowercased() {
        case "openvpn"?:
            let profileAnswer = try await vpnscriptSend(spec, "GET", Self.adding("server_id", id, to: base.appendingPathComponent("api/openvpn/profile")))
            guard (200..<300).contains(profileAnswer.status) else { throw vpnscriptFailure(profileAnswer, "openvpn profile") }
            let profileJSON = try profileAnswer.json()
            guard profileJSON["success"]?.bool != false, case .string(let served)? = profileJSON["data"], served.contains("remote") else {
                throw ProviderError(.unexpectedShape, "openvpn profile: \(profileJSON["message"]?.string.map { SafeText.escaped($0) } ?? "the answer holds no profile in 'data'")")
            }
            let authAnswer = try await vpnscriptSend(spec, "GET", Self.adding("server_id", id, to: base.appendingPathComponent("api/openvpn/auth")))
            guard (200..<300).contains(authAnswer.status) else { throw vpnscriptFailure(authAnswer, "openvpn auth") }
            let auth = try authAnswer.json()
            guard auth["success"]?.bool != false, let username = auth.value(at: "data.username")?.string,
                  let password = auth.value(at: "data.password")?.string
            else { throw ProviderError(.unexpectedShape, "openvpn auth: the answer holds no data.username and data.password") }
            Redaction.register(password)
            let authName = Self.fileNames["openvpn_auth"] ?? "openvpn-auth.txt"
            let profile = OpenVPNProfile(served: served, authPath: authName)
            let endpoint = OpenVPNProfile.endpoint(of: profile.text)
            return ConnectionMaterial(
                protocol: "openvpn", host: endpoint?.host ?? server.host, port: endpoint?.port, transport: endpoint?.transport,
                files: [MaterialFile(kind: "openvpn", name: Self.fileNames["openvpn"] ?? "profile.ovpn", contents: profile.text),
                        MaterialFile(kind: "openvpn_auth", name: authName, contents: OpenVPNProfile.authFile(username: username, password: password))],
                notes: profile.notes)
        case "wireguard"?:
            return try await vpnscriptWireGuard(server, spec, id: id, timeout: timeout, progress: progress)
        case let other:
            throw ProviderError(.unsupported, "protocol \(SafeText.quoted(other ?? "(none)", limit: 20)): VPNScript hands over openvpn and wireguard only")
        }
    }

    /// The configurations of one server: id, status (0 pending, 1 active, 2 pending deletion),
    /// config text, failure reason. A 404 "No configuration found" is an empty list.
    private func wireguardConfigs(_ spec: ProviderSpec, id: String) async throws(ProviderError) -> [(id: Int, status: Int, config: String?, failure: String?)] {
        let url = Self.adding("server_id", id, to: try spec.baseURL().appendingPathComponent("api/wireguard/configs"))
        let answer = try await vpnscriptSend(spec, "GET", url)
        if answer.status == 404, message(answer)?.lowercased().contains("no configuration") == true { return [] }
        guard (200..<300).contains(answer.status) else { throw vpnscriptFailure(answer, "wireguard configs") }
        guard case .array(let items)? = try answer.json()["data"] else {
            throw ProviderError(.unexpectedShape, "wireguard configs: the answer holds no data array")
        }
        return items.compactMap { item in
            guard let configID = item["id"]?.int else { return nil }
            return (configID, item["status"]?.int ?? -1, item["config"]?.string, item["fail_reason"]?.string)
        }
    }

    private func vpnscriptWireGuard(
        _ server: Server, _ spec: ProviderSpec, id: String, timeout: Duration, progress: (@Sendable (String) -> Void)?
    ) async throws(ProviderError) -> ConnectionMaterial {
        func material(_ config: String, created: Int?) throws(ProviderError) -> ConnectionMaterial {
            guard WireGuardConfig.isConfiguration(config) else {
                throw ProviderError(.unexpectedShape, "wireguard config: not a wg-quick configuration ([Interface] with a PrivateKey)")
            }
            for secret in WireGuardConfig.secrets(of: config) { Redaction.register(secret) }
            let endpoint = WireGuardConfig.endpoint(of: config)
            return ConnectionMaterial(
                protocol: "wireguard", host: endpoint?.host ?? server.host, port: endpoint?.port, transport: "udp",
                files: [MaterialFile(kind: "wireguard", name: Self.fileNames["wireguard"] ?? "probe.conf", contents: config.hasSuffix("\n") ? config : config + "\n")],
                created: created.map { ["wireguard_config_id": $0] } ?? [:])
        }
        let before = try await wireguardConfigs(spec, id: id)
        if let active = before.first(where: { $0.status == 1 && $0.config.map(WireGuardConfig.isConfiguration) == true }), let config = active.config {
            return try material(config, created: nil)
        }
        let known = Set(before.map(\.id))
        let create = try await vpnscriptSend(spec, "POST", try spec.baseURL().appendingPathComponent("api/wireguard/create"),
                                             body: .object(["server_id": Self.idValue(id)]))
        guard (200..<300).contains(create.status) else { throw vpnscriptFailure(create, "wireguard create") }
        if let json = try? create.json(), json["success"]?.bool == false || json["status"]?.bool == false {
            throw ProviderError(.unavailable, "wireguard create: \(json["message"]?.string.map { SafeText.escaped($0) } ?? "refused")")
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var wait = Duration.milliseconds(250)
        var polls = 0
        var pendingID: Int?
        while true {
            polls += 1
            let configs = try await wireguardConfigs(spec, id: id)
            let fresh = configs.filter { !known.contains($0.id) }.sorted { $0.id > $1.id }
            if let mine = fresh.first {
                pendingID = mine.id
                if let reason = mine.failure {
                    throw ProviderError(.unavailable, "wireguard configuration \(mine.id) failed: \(SafeText.escaped(reason, limit: 200))")
                }
                if mine.status == 1, let config = mine.config { return try material(config, created: mine.id) }
                if mine.status == 2 { throw ProviderError(.unavailable, "wireguard configuration \(mine.id) is pending deletion") }
            }
            let now = clock.now
            guard now + wait <= deadline else {
                let still = pendingID.map { " (configuration \($0) is still pending at the provider)" } ?? ""
                throw ProviderError(.timeout, "wireguard configuration not active after \(Self.seconds(timeout)) s, \(polls) polls\(still)")
            }
            progress?("waiting for the wireguard configuration of \(server.name): poll \(polls), \(Self.seconds(now - (deadline - timeout))) s")
            do { try await Task.sleep(for: wait) } catch { throw ProviderError(.timeout, "cancelled while waiting for the wireguard configuration") }
            wait = min(wait * 2, .seconds(2))
        }
    }

    /// A provider id as it is sent back: a number when it is one (`"server_id": 10`), else text.
    static func idValue(_ id: String) -> JSONValue {
        if let number = Int(id) { return .number(Double(number)) }
        return .string(id)
    }

    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.1f", value)
    }

    // MARK: XMPlus

    private func xmplusMaterial(_ server: Server) throws(ProviderError) -> ConnectionMaterial {
        guard let outbound = ProxyOutbound(fields: server.secrets.fields, fallbackHost: server.host, fallbackPort: server.port) else {
            throw ProviderError(.unexpectedShape, "the server entry carries no connection fields (address, port, password/UUID)")
        }
        Redaction.register(outbound.credential)
        var files = [MaterialFile(kind: "uri", name: Self.fileNames["uri"] ?? "uri.txt", contents: outbound.uri + "\n")]
        var notes: [String] = []
        if let singBox = outbound.singBox, let xray = outbound.xray {
            files.append(MaterialFile(kind: "sing-box", name: Self.fileNames["sing-box"] ?? "sing-box-outbound.json", contents: singBox.text() + "\n"))
            files.append(MaterialFile(kind: "xray", name: Self.fileNames["xray"] ?? "xray-outbound.json", contents: xray.text() + "\n"))
        } else {
            notes.append("type \(SafeText.quoted(outbound.type, limit: 20)): no sing-box or xray outbound is written for it, only the share URI")
        }
        return ConnectionMaterial(protocol: outbound.type.isEmpty ? "unknown" : outbound.type, host: outbound.host, port: outbound.port,
                                  transport: outbound.network, files: files, notes: notes)
    }

    // MARK: NetMimic

    private func netmimicMaterial(_ server: Server, _ spec: ProviderSpec) async throws(ProviderError) -> ConnectionMaterial {
        guard let id = server.providerID else { throw ProviderError(.unexpectedShape, "the server list gave no id for it") }
        let http = client(spec)
        let key = try netmimicKey(spec)
        var entry: TokenCache.Entry
        if let cached = cache.token(for: key) { entry = cached } else { entry = try await netmimicLogin(spec, http) }
        var answer: HTTPAnswer
        var relogged = false
        while true {
            answer = try await http.send("POST", try spec.baseURL().appendingPathComponent("api/key"),
                                         headers: ["Authorization": "Bearer \(entry.token)"],
                                         json: .object(["server_id": Self.idValue(id), "device_id": entry.deviceIDValue ?? .string("")]))
            guard answer.status == 401 else { break }
            guard !relogged else { throw ProviderError(.authentication, "key: 401 after a fresh login") }
            cache.remove(key)
            entry = try await netmimicLogin(spec, http)
            relogged = true
        }
        guard (200..<300).contains(answer.status) else {
            switch answer.status {
            case 404: throw ProviderError(.notFound, "key: \(message(answer) ?? "server not found") (HTTP 404)")
            case 403, 422: throw ProviderError(.unavailable, "key: \(message(answer) ?? "refused") (HTTP \(answer.status))")
            default: throw failure(answer, "key")
            }
        }
        let material = Self.keyMaterial(answer)
        guard let material, !material.isEmpty else { throw ProviderError(.unexpectedShape, "key: the answer is empty") }
        return Self.keyConnection(material, server: server)
    }

    /// The key as served: a JSON string unwrapped (also under `key`, `access_key`, `data`,
    /// `data.key`), an object written as JSON, a body that is not JSON kept as text.
    static func keyMaterial(_ answer: HTTPAnswer) -> String? {
        guard let json = try? answer.json() else {
            return String(decoding: answer.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
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

    // MARK: Generic JSON

    /// The `connect` section of a generic JSON provider: `method`, `path` and `body` with `{id}`,
    /// `{provider_id}`, `{host}` and `{port}` placeholders, `material` (the dotted path of the
    /// material in the answer; the whole answer when absent) and `kind` (`uri`, `key`,
    /// `wireguard`, `openvpn`).
    private func jsonMaterial(_ server: Server, _ spec: ProviderSpec) async throws(ProviderError) -> ConnectionMaterial {
        guard case .object(let section)? = spec.fields["connect"] else {
            throw ProviderError(.unsupported, "the provider has no 'connect' section in its configuration")
        }
        let values = ["id": server.providerID ?? server.id, "provider_id": server.providerID ?? "", "host": server.host,
                      "port": server.port.map(String.init) ?? ""]
        func fill(_ text: String, escape: Bool) -> String {
            var result = text
            for (name, value) in values {
                let encoded = escape ? (value.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? value) : value
                result = result.replacingOccurrences(of: "{\(name)}", with: encoded)
            }
            return result
        }
        func fill(_ value: JSONValue) -> JSONValue {
            switch value {
            case .string(let text):
                // A placeholder alone keeps the value's type: "{id}" of a numeric id is a number.
                if text == "{id}" || text == "{provider_id}", let id = server.providerID { return Self.idValue(id) }
                if text == "{port}", let port = server.port { return .number(Double(port)) }
                return .string(fill(text, escape: false))
            case .array(let items): return .array(items.map(fill))
            case .object(let members): return .object(members.mapValues(fill))
            default: return value
            }
        }
        let method = section["method"]?.string?.uppercased() ?? "POST"
        guard let path = section["path"]?.string else { throw ProviderError(.configuration, "connect: missing 'path'") }
        let url = try spec.endpoint(fill(path, escape: true))
        let answer = try await sendJSON(spec, client(spec), method, url, body: section["body"].map(fill))
        guard (200..<300).contains(answer.status) else {
            switch answer.status {
            case 404: throw ProviderError(.notFound, "connect: \(message(answer) ?? "not found") (HTTP 404)")
            case 403, 422: throw ProviderError(.unavailable, "connect: \(message(answer) ?? "refused") (HTTP \(answer.status))")
            default: throw failure(answer, "connect")
            }
        }
        let json = try answer.json()
        let found = section["material"]?.string.map { json.value(at: $0) } ?? json
        let kind = (section["kind"]?.string ?? "key").lowercased()
        guard ["key", "uri", "wireguard", "openvpn"].contains(kind) else {
            throw ProviderError(.configuration, "connect: kind \(SafeText.quoted(kind, limit: 20)) is not key, uri, wireguard or openvpn")
        }
        let text: String
        switch found {
        case .string(let value)?: text = value
        case .some(let value) where value != .null: text = value.text()
        default: throw ProviderError(.unexpectedShape, "connect: nothing at \(SafeText.quoted(section["material"]?.string ?? "(top level)"))")
        }
        var material = Self.keyConnection(text, server: server, kind: kind)
        if let protocolName = section["protocol"]?.string { material.protocol = protocolName }
        return material
    }
}
