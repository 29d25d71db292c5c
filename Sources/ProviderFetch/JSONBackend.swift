import FoundationEssentials
import SafeText

/// Any JSON API: `items` is a dotted path to the array, `fields` names the keys, `auth` is
/// `xpay` (xpay.stream), `bearer` or none; a `connect` section hands over material.
struct JSONBackend: ProviderBackend {
    let fetcher: ProviderFetcher
    let spec: ProviderSpec

    /// The `auth` section as a spec of its own (for its secrets).
    private var authSpec: ProviderSpec {
        ProviderSpec(type: spec.type, name: spec.name, fields: spec.fields["auth"] ?? .null, timeoutSeconds: spec.timeoutSeconds, enabled: true)
    }

    private var authKind: String { spec.fields["auth"]?["type"]?.string?.lowercased() ?? "none" }

    /// The token cache key of an xpay.stream account (bound to the provider's origin and user).
    func cacheKey() throws(ProviderError) -> String {
        TokenCache.key(type: "xpay", url: try spec.baseURL().absoluteString, user: spec.fields["auth"]?["username"]?.string ?? "")
    }

    /// xpay.stream `POST /client/authenticate`: a fresh access token, cached until it expires.
    private func authenticate(_ http: HTTPClient) async throws(ProviderError) -> TokenCache.Entry {
        let username = spec.fields["auth"]?["username"]?.string ?? ""
        let secret = try authSpec.secret("secretKey") ?? ""
        let answer = try await http.send("POST", spec.endpoint("client/authenticate"), json: .object([
            "username": .string(username), "secretKey": .string(secret), "isAPI": .bool(true),
        ]))
        guard (200..<300).contains(answer.status) else { throw fetcher.failure(answer, "authenticate") }
        let token = try ProviderDecoders.xpayToken(try answer.json())
        let entry = TokenCache.Entry(token: token.token, expiresAt: token.expiresAtMilliseconds.map { $0 / 1_000 })
        fetcher.cache.store(entry, for: try cacheKey())
        return entry
    }

    /// Sends a request with the provider's `auth` (none, `bearer` with its token, `xpay` through
    /// the shared re-login-once loop: a token refused with 401 is renewed once).
    func send(_ http: HTTPClient, _ method: String, _ url: URL, body: JSONValue?) async throws(ProviderError) -> HTTPAnswer {
        switch authKind {
        case "xpay":
            let session = ProviderSession(cache: fetcher.cache, key: try cacheKey()) { () async throws(ProviderError) -> TokenCache.Entry in
                try await authenticate(http)
            }
            return try await session.send { entry throws(ProviderError) in
                try await http.send(method, url, headers: ["Authorization": "Bearer \(entry.token)"], json: body)
            }
        case "bearer":
            return try await http.send(method, url, headers: ["Authorization": "Bearer \(try authSpec.secret("token") ?? "")"], json: body)
        default:
            return try await http.send(method, url, json: body)
        }
    }

    func fetch(_ problems: ServerProblems) async throws(ProviderError) -> ([Server], AccountState?) {
        let http = fetcher.client(spec)
        let request = spec.fields["request"]
        let method = request?["method"]?.string?.uppercased() ?? "GET"
        let url = try spec.endpoint(request?["path"]?.string ?? "")
        let answer = try await send(http, method, url, body: request?["body"])
        guard (200..<300).contains(answer.status) else { throw fetcher.failure(answer, "servers") }
        return (try ProviderDecoders.genericServers(try answer.json(), items: spec.fields["items"]?.string, provider: spec.name,
                                                    fields: fetcher.serverFields(spec), problems: problems), nil)
    }

    /// The `connect` section of a generic JSON provider: `method`, `path` and `body` with `{id}`,
    /// `{provider_id}`, `{host}` and `{port}` placeholders, `material` (the dotted path of the
    /// material in the answer; the whole answer when absent) and `kind` (`uri`, `key`,
    /// `wireguard`, `openvpn`).
    func connect(_ server: Server, timeout: Duration, progress: (@Sendable (String) -> Void)?) async throws(ProviderError) -> ConnectionMaterial {
        guard case .object(let section)? = spec.fields["connect"] else {
            throw ProviderError(.unsupported, "the provider has no 'connect' section in its configuration")
        }
        let values = ["id": server.providerID ?? server.id, "provider_id": server.providerID ?? "", "host": server.host,
                      "port": server.port.map(String.init) ?? ""]
        func fill(_ text: String, escape: Bool) -> String {
            var result = text
            for (name, value) in values {
                // A path segment: unreserved and sub-delimiters kept, `/`, `?` and `#` escaped.
                let encoded = escape ? value.percentEncoded { $0.isASCIIAlphanumeric || "-._~!$&'()*+,;=:@".utf8.contains($0) } : value
                result = result.replacingAll("{\(name)}", with: encoded)
            }
            return result
        }
        func fill(_ value: JSONValue) -> JSONValue {
            switch value {
            case .string(let text):
                // A placeholder alone keeps the value's type: "{id}" of a numeric id is a number.
                if text == "{id}" || text == "{provider_id}", let id = server.providerID { return ProviderFetcher.idValue(id) }
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
        let answer = try await send(fetcher.client(spec), method, url, body: section["body"].map(fill))
        guard (200..<300).contains(answer.status) else {
            switch answer.status {
            case 404: throw ProviderError(.notFound, "connect: \(ProviderFetcher.message(answer) ?? "not found") (HTTP 404)")
            case 403, 422: throw ProviderError(.unavailable, "connect: \(ProviderFetcher.message(answer) ?? "refused") (HTTP \(answer.status))")
            default: throw fetcher.failure(answer, "connect")
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
        var material = ProviderFetcher.keyConnection(text, server: server, kind: kind)
        if let protocolName = section["protocol"]?.string { material.protocol = protocolName }
        return material
    }
}
