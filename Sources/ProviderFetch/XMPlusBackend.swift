import FoundationEssentials
import SafeText

/// XMPlus client API v2: `XMPus-API-Token: md5(apiKey)`, a JWT reused until shortly before its
/// `exp`, the servers (their connection fields kept in memory for the hand-over) and the stats.
struct XMPlusBackend: ProviderBackend {
    let fetcher: ProviderFetcher
    let spec: ProviderSpec

    func fetch(_ problems: ServerProblems) async throws(ProviderError) -> ([Server], AccountState?) {
        let url = try spec.baseURL().appendingPathComponent("api/v2/client")
        let email = try spec.secret("email") ?? ""
        let password = try spec.secret("password") ?? ""
        let apiToken = MD5.hex(try spec.secret("apiKey") ?? "")
        Redaction.register(apiToken)
        let headers = ["XMPus-API-Token": apiToken]
        let http = fetcher.client(spec)
        let key = try cacheKey()
        let session = ProviderSession(cache: fetcher.cache, key: key) { () async throws(ProviderError) -> TokenCache.Entry in
            let answer = try await http.send("POST", url.appendingPathComponent("token"), headers: headers,
                                             json: .object(["email": .string(email), "passwd": .string(password)]))
            guard (200..<300).contains(answer.status) else { throw fetcher.failure(answer, "login") }
            let token = try ProviderDecoders.xmplusToken(try answer.json())
            let entry = TokenCache.Entry(token: token, expiresAt: ProviderDecoders.jwtExpiry(token))
            fetcher.cache.store(entry, for: key)
            return entry
        }
        // XMPlus says a token is no good with `ret` 0 and a message about the token (HTTP 200).
        let answer = try await session.send(expired: { answer in
            let json = try? answer.json()
            return answer.status == 401 || (json?["ret"]?.int != 1 && (json?.first(["msg", "message"])?.string?.lowercased().contains("token") ?? false))
        }) { entry throws(ProviderError) in
            try await http.send("POST", url.appendingPathComponent("servers"), headers: headers, json: .object(["token": .string(entry.token)]))
        }
        guard (200..<300).contains(answer.status), let json = try? answer.json() else {
            if answer.status >= 400 { throw fetcher.failure(answer, "servers") }
            _ = try answer.json()
            throw ProviderError(.unexpectedShape, "servers: no JSON")
        }
        let servers = try ProviderDecoders.xmplusServers(json, provider: spec.name, problems: problems)
        let token = try await session.current().token
        let stats = try? await http.send("POST", url.appendingPathComponent("stats"), headers: headers, json: .object(["token": .string(token)]))
        let account = stats.flatMap { try? ProviderDecoders.xmplusAccount(try $0.json()) }
        return (servers, account)
    }

    /// The token cache key of an XMPlus account (bound to its API's origin and user).
    func cacheKey() throws(ProviderError) -> String {
        TokenCache.key(type: "xmplus", url: try spec.baseURL().appendingPathComponent("api/v2/client").absoluteString, user: try spec.secret("email") ?? "")
    }

    /// The material is in the server entry itself (no request): the share URI and the outbounds.
    func connect(_ server: Server, timeout: Duration, progress: (@Sendable (String) -> Void)?) async throws(ProviderError) -> ConnectionMaterial {
        guard let outbound = ProxyOutbound(fields: server.secrets.fields, fallbackHost: server.host, fallbackPort: server.port) else {
            throw ProviderError(.unexpectedShape, "the server entry carries no connection fields (address, port, password/UUID)")
        }
        Redaction.register(outbound.credential)
        var files = [MaterialFile(kind: "uri", name: ProviderFetcher.fileNames["uri"] ?? "uri.txt", contents: outbound.uri + "\n")]
        var notes: [String] = []
        if let singBox = outbound.singBox, let xray = outbound.xray {
            files.append(MaterialFile(kind: "sing-box", name: ProviderFetcher.fileNames["sing-box"] ?? "sing-box-outbound.json", contents: singBox.text() + "\n"))
            files.append(MaterialFile(kind: "xray", name: ProviderFetcher.fileNames["xray"] ?? "xray-outbound.json", contents: xray.text() + "\n"))
        } else {
            notes.append("type \(SafeText.quoted(outbound.type, limit: 20)): no sing-box or xray outbound is written for it, only the share URI")
        }
        return ConnectionMaterial(protocol: outbound.type.isEmpty ? "unknown" : outbound.type, host: outbound.host, port: outbound.port,
                                  transport: outbound.network, files: files, notes: notes)
    }
}
