import FoundationEssentials
import SafeText

/// A proxy server's connection (vmess, vless, trojan, shadowsocks) read from a provider's list
/// entry (XMPlus: its fields, and its `vmess://` link for what the fields lack), and written the
/// three ways clients take it: a share URI, a sing-box outbound and an Xray outbound.
///
/// Pure: fields in, text out.
package struct ProxyOutbound: Hashable, Sendable {
    /// `vmess`, `vless`, `trojan` or `shadowsocks`; anything else gets the URI only.
    package var type: String
    package var host: String
    package var port: Int
    /// UUID (vmess, vless) or password (trojan, shadowsocks).
    package var credential: String
    package var alterID: Int
    /// vmess `security` (`auto`, ...), shadowsocks method, vless `encryption` (`none`).
    package var cipher: String?
    /// `tcp`, `ws`, `grpc`, `http` (h2), `httpupgrade`, `quic`.
    package var network: String
    package var tls: Bool
    package var sni: String?
    package var allowInsecure: Bool
    package var fingerprint: String?
    /// The TCP header type (`none`, `http`).
    package var header: String?
    package var path: String?
    /// The HTTP `Host` of ws/http transports.
    package var requestHost: String?
    package var serviceName: String?
    package var flow: String?
    package var remark: String?
    /// The share URI the provider gave, kept as served.
    package var givenURI: String?
    /// REALITY (`security=reality`): the server's public key and short id.
    package var realityPublicKey: String?
    package var realityShortID: String?
    /// hysteria2's and tuic's password (tuic: beside the UUID in ``credential``).
    package var secondCredential: String?

    /// The types written as outbounds.
    package static let supported: Set<String> = ["vmess", "vless", "trojan", "shadowsocks"]

    /// Reads an XMPlus server entry's fields. `nil` when it names no host, port or credential.
    package init?(fields: [String: JSONValue], fallbackHost: String? = nil, fallbackPort: Int? = nil) {
        let given = fields["uri"]?.string
        let link = given.flatMap(VMessURI.payload) ?? [:]
        func text(_ keys: String...) -> String? {
            for key in keys { if let value = fields[key]?.string { return value } }
            return nil
        }
        func linked(_ key: String) -> String? { link[key]?.string }
        var type = (text("type", "protocol") ?? given.flatMap { $0.split(separator: ":").first.map(String.init) } ?? "").lowercased()
        if type == "ss" { type = "shadowsocks" }
        guard let host = text("address", "server", "host") ?? linked("add") ?? fallbackHost,
              let port = fields["port"].flatMap(ServerFields.port) ?? link["port"].flatMap(ServerFields.port) ?? fallbackPort,
              let credential = (type == "tuic" ? text("uuid", "password") : text("password", "uuid", "id")) ?? linked("id")
        else { return nil }
        self.type = type
        self.host = host
        self.port = port
        self.credential = credential
        alterID = fields["alterid"]?.int ?? fields["alter_id"]?.int ?? link["aid"]?.int ?? 0
        cipher = text("encryption", "cipher", "method") ?? linked("scy")
        let network = (text("network", "net") ?? linked("net") ?? "tcp").lowercased()
        self.network = network == "h2" ? "http" : network
        let security = (text("security") ?? linked("tls") ?? "").lowercased()
        tls = ["tls", "reality", "xtls"].contains(security) || ["hysteria2", "tuic"].contains(type)
        realityPublicKey = security == "reality" ? text("pbk", "public_key") : nil
        realityShortID = security == "reality" ? text("sid", "short_id") : nil
        secondCredential = type == "tuic" ? text("password") : nil
        sni = text("sni", "servername", "server_name") ?? linked("sni")
        allowInsecure = fields["allowinsecure"]?.bool ?? fields["allow_insecure"]?.bool ?? fields["insecure"]?.bool ?? false
        fingerprint = text("fingerprint", "fp") ?? linked("fp")
        header = text("header", "headertype", "header_type") ?? linked("type")
        path = text("path") ?? linked("path")
        requestHost = text("host_header", "ws_host") ?? (fields["address"] != nil ? text("host") : nil) ?? linked("host")
        serviceName = text("servicename", "serviceName", "service_name") ?? (self.network == "grpc" ? path : nil)
        flow = text("flow")
        remark = text("remark", "remarks", "name") ?? linked("ps")
        givenURI = given
    }

    // MARK: Share URI

    /// The share URI: the provider's own when it gave one, else one built from the fields.
    package var uri: String { givenURI ?? builtURI }

    /// A share URI built from the fields (v2rayN vmess JSON; `vless://`, `trojan://`, SIP002 `ss://`).
    package var builtURI: String {
        let fragment = remark.map { "#" + Self.percent($0) } ?? ""
        switch type {
        case "vmess":
            var link: [String: JSONValue] = [
                "v": .string("2"), "ps": .string(remark ?? host), "add": .string(host), "port": .string(String(port)),
                "id": .string(credential), "aid": .string(String(alterID)), "scy": .string(cipher ?? "auto"),
                "net": .string(network), "type": .string(header ?? "none"), "host": .string(requestHost ?? ""),
                "path": .string(path ?? ""), "tls": .string(tls ? "tls" : ""), "sni": .string(sni ?? ""),
            ]
            if let fingerprint { link["fp"] = .string(fingerprint) }
            return "vmess://" + Data(JSONValue.object(link).text(pretty: false).utf8).base64EncodedString()
        case "shadowsocks":
            let user = Data("\(cipher ?? "aes-128-gcm"):\(credential)".utf8).base64EncodedString()
                .replacingAll("=", with: "").replacingAll("+", with: "-").replacingAll("/", with: "_")
            return "ss://\(user)@\(Self.uriHost(host)):\(port)" + fragment
        default:
            var query: [(String, String)] = []
            if type == "vless" { query.append(("encryption", cipher ?? "none")) }
            query.append(("security", realityPublicKey != nil ? "reality" : (tls ? "tls" : "none")))
            if let realityPublicKey { query.append(("pbk", realityPublicKey)) }
            if let realityShortID { query.append(("sid", realityShortID)) }
            if let sni { query.append(("sni", sni)) }
            if let fingerprint { query.append(("fp", fingerprint)) }
            if allowInsecure { query.append(("allowInsecure", "1")) }
            query.append(("type", network))
            if let path { query.append(("path", path)) }
            if let requestHost { query.append(("host", requestHost)) }
            if let serviceName { query.append(("serviceName", serviceName)) }
            if let flow { query.append(("flow", flow)) }
            let queryText = query.map { "\($0.0)=\(Self.percent($0.1))" }.joined(separator: "&")
            return "\(type)://\(Self.percent(credential))@\(Self.uriHost(host)):\(port)?\(queryText)" + fragment
        }
    }

    // MARK: sing-box

    /// A sing-box `outbound` object (tagged `proxy`), or `nil` for a type sing-box is not given here.
    package var singBox: JSONValue? {
        if type == "hysteria2" || type == "tuic" {
            var outbound: [String: JSONValue] = [
                "type": .string(type), "tag": .string("proxy"), "server": .string(host), "server_port": .number(Double(port)),
                "tls": .object(["enabled": .bool(true), "server_name": .string(sni ?? host), "insecure": .bool(allowInsecure)]),
            ]
            if type == "tuic" {
                outbound["uuid"] = .string(credential)
                outbound["password"] = .string(secondCredential ?? "")
            } else {
                outbound["password"] = .string(credential)
            }
            return .object(outbound)
        }
        guard Self.supported.contains(type) else { return nil }
        var outbound: [String: JSONValue] = [
            "type": .string(type), "tag": .string("proxy"), "server": .string(host), "server_port": .number(Double(port)),
        ]
        switch type {
        case "vmess":
            outbound["uuid"] = .string(credential)
            outbound["security"] = .string(cipher ?? "auto")
            outbound["alter_id"] = .number(Double(alterID))
        case "vless":
            outbound["uuid"] = .string(credential)
            if let flow { outbound["flow"] = .string(flow) }
        case "trojan":
            outbound["password"] = .string(credential)
        default:
            outbound["method"] = .string(cipher ?? "aes-128-gcm")
            outbound["password"] = .string(credential)
            return .object(outbound)  // shadowsocks: no TLS, no V2Ray transport
        }
        if tls || type == "trojan" {
            var tlsObject: [String: JSONValue] = ["enabled": .bool(true), "insecure": .bool(allowInsecure)]
            tlsObject["server_name"] = .string(sni ?? host)
            if let fingerprint { tlsObject["utls"] = .object(["enabled": .bool(true), "fingerprint": .string(fingerprint)]) }
            if let realityPublicKey {
                tlsObject["reality"] = .object(["enabled": .bool(true), "public_key": .string(realityPublicKey), "short_id": .string(realityShortID ?? "")])
                // sing-box's REALITY client needs uTLS.
                if tlsObject["utls"] == nil { tlsObject["utls"] = .object(["enabled": .bool(true), "fingerprint": .string("chrome")]) }
            }
            outbound["tls"] = .object(tlsObject)
        }
        switch network {
        case "ws":
            var transport: [String: JSONValue] = ["type": .string("ws"), "path": .string(path ?? "/")]
            if let requestHost { transport["headers"] = .object(["Host": .string(requestHost)]) }
            outbound["transport"] = .object(transport)
        case "grpc":
            outbound["transport"] = .object(["type": .string("grpc"), "service_name": .string(serviceName ?? "")])
        case "http":
            var transport: [String: JSONValue] = ["type": .string("http"), "path": .string(path ?? "/")]
            if let requestHost { transport["host"] = .array([.string(requestHost)]) }
            outbound["transport"] = .object(transport)
        case "httpupgrade":
            var transport: [String: JSONValue] = ["type": .string("httpupgrade"), "path": .string(path ?? "/")]
            if let requestHost { transport["host"] = .string(requestHost) }
            outbound["transport"] = .object(transport)
        case "quic":
            outbound["transport"] = .object(["type": .string("quic")])
        default:
            if header == "http" {
                var transport: [String: JSONValue] = ["type": .string("http"), "method": .string("GET"), "path": .string(path ?? "/")]
                if let requestHost { transport["host"] = .array([.string(requestHost)]) }
                outbound["transport"] = .object(transport)
            }
        }
        return .object(outbound)
    }

    // MARK: Xray

    /// An Xray `outbounds[]` element (tagged `proxy`), or `nil` for a type not written here. It
    /// keeps to what the V2Ray 4 core also reads (Xray extends that schema).
    package var xray: JSONValue? {
        guard Self.supported.contains(type) else { return nil }
        let address = JSONValue.string(host)
        let portValue = JSONValue.number(Double(port))
        var settings: [String: JSONValue]
        switch type {
        case "vmess":
            settings = ["vnext": .array([.object(["address": address, "port": portValue, "users": .array([.object([
                "id": .string(credential), "alterId": .number(Double(alterID)), "security": .string(cipher ?? "auto"),
            ])])])])]
        case "vless":
            var user: [String: JSONValue] = ["id": .string(credential), "encryption": .string(cipher.map { $0 == "auto" ? "none" : $0 } ?? "none")]
            if let flow { user["flow"] = .string(flow) }
            settings = ["vnext": .array([.object(["address": address, "port": portValue, "users": .array([.object(user)])])])]
        case "trojan":
            settings = ["servers": .array([.object(["address": address, "port": portValue, "password": .string(credential)])])]
        default:
            settings = ["servers": .array([.object([
                "address": address, "port": portValue, "method": .string(cipher ?? "aes-128-gcm"), "password": .string(credential),
            ])])]
        }
        var outbound: [String: JSONValue] = ["protocol": .string(type), "tag": .string("proxy"), "settings": .object(settings)]
        guard type != "shadowsocks" else { return .object(outbound) }
        var stream: [String: JSONValue] = ["network": .string(network == "http" ? "http" : network)]
        if let realityPublicKey {
            stream["security"] = .string("reality")
            stream["realitySettings"] = .object([
                "serverName": .string(sni ?? host), "publicKey": .string(realityPublicKey), "shortId": .string(realityShortID ?? ""),
                "fingerprint": .string(fingerprint ?? "chrome"),
            ])
        } else if tls || type == "trojan" {
            stream["security"] = .string("tls")
            var tlsSettings: [String: JSONValue] = ["serverName": .string(sni ?? host), "allowInsecure": .bool(allowInsecure)]
            if let fingerprint { tlsSettings["fingerprint"] = .string(fingerprint) }
            stream["tlsSettings"] = .object(tlsSettings)
        } else {
            stream["security"] = .string("none")
        }
        switch network {
        case "ws":
            var ws: [String: JSONValue] = ["path": .string(path ?? "/")]
            if let requestHost { ws["headers"] = .object(["Host": .string(requestHost)]) }
            stream["wsSettings"] = .object(ws)
        case "grpc":
            stream["grpcSettings"] = .object(["serviceName": .string(serviceName ?? "")])
        case "http":
            var http: [String: JSONValue] = ["path": .string(path ?? "/")]
            if let requestHost { http["host"] = .array([.string(requestHost)]) }
            stream["httpSettings"] = .object(http)
        case "tcp":
            if header == "http" {
                stream["tcpSettings"] = .object(["header": .object(["type": .string("http"), "request": .object([
                    "path": .array([.string(path ?? "/")]), "headers": .object(["Host": .array([.string(requestHost ?? host)])]),
                ])])])
            }
        default: break
        }
        outbound["streamSettings"] = .object(stream)
        return .object(outbound)
    }

    // MARK: mihomo

    /// A mihomo (Clash.Meta) `proxies:` entry (JSON is YAML's flow style), or `nil` for a type not written here.
    package var mihomo: JSONValue? {
        var proxy: [String: JSONValue] = ["name": .string(remark ?? "\(host):\(port)"), "server": .string(host), "port": .number(Double(port)), "udp": .bool(true)]
        switch type {
        case "shadowsocks":
            proxy["type"] = .string("ss"); proxy["cipher"] = .string(cipher ?? "aes-128-gcm"); proxy["password"] = .string(credential)
            return .object(proxy)
        case "hysteria2":
            proxy["type"] = .string("hysteria2"); proxy["password"] = .string(credential)
            if let sni { proxy["sni"] = .string(sni) }
            proxy["skip-cert-verify"] = .bool(allowInsecure)
            return .object(proxy)
        case "tuic":
            proxy["type"] = .string("tuic"); proxy["uuid"] = .string(credential); proxy["password"] = .string(secondCredential ?? "")
            if let sni { proxy["sni"] = .string(sni) }
            return .object(proxy)
        case "vmess", "vless", "trojan":
            proxy["type"] = .string(type)
            if type == "trojan" { proxy["password"] = .string(credential) } else { proxy["uuid"] = .string(credential) }
            if type == "vmess" { proxy["alterId"] = .number(Double(alterID)); proxy["cipher"] = .string(cipher ?? "auto") }
            if let flow { proxy["flow"] = .string(flow) }
            if tls || type == "trojan" {
                if type != "trojan" { proxy["tls"] = .bool(true) }
                proxy[type == "trojan" ? "sni" : "servername"] = .string(sni ?? host)
                proxy["skip-cert-verify"] = .bool(allowInsecure)
            }
            if let fingerprint { proxy["client-fingerprint"] = .string(fingerprint) }
            if let realityPublicKey {
                proxy["reality-opts"] = .object(["public-key": .string(realityPublicKey), "short-id": .string(realityShortID ?? "")])
            }
            if network != "tcp" { proxy["network"] = .string(network == "http" ? "h2" : network) }
            switch network {
            case "ws":
                var opts: [String: JSONValue] = ["path": .string(path ?? "/")]
                if let requestHost { opts["headers"] = .object(["Host": .string(requestHost)]) }
                proxy["ws-opts"] = .object(opts)
            case "grpc": proxy["grpc-opts"] = .object(["grpc-service-name": .string(serviceName ?? "")])
            default: break
            }
            return .object(proxy)
        default:
            return nil
        }
    }

    private static func percent(_ text: String) -> String {
        text.percentEncoded { $0.isASCIIAlphanumeric || "-._~".utf8.contains($0) }
    }

    private static func uriHost(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }
}
