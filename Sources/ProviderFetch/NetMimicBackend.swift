import FoundationEssentials
import SafeText

/// NetMimic (a Laravel API documented with Scribe): login with the device id kept as returned,
/// servers, subscription, access keys, logout.
struct NetMimicBackend: ProviderBackend {
    let fetcher: ProviderFetcher
    let spec: ProviderSpec

    func fetch(_ problems: ServerProblems) async throws(ProviderError) -> ([Server], AccountState?) {
        let base = try spec.baseURL()
        let http = fetcher.client(spec)
        let session = try session(http)
        let answer = try await session.send { entry throws(ProviderError) in
            try await http.send("POST", base.appendingPathComponent("api/servers"), headers: ["Authorization": "Bearer \(entry.token)"],
                                json: .object(["device_id": entry.deviceIDValue ?? .string("")]))
        }
        guard (200..<300).contains(answer.status) else { throw fetcher.failure(answer, "servers") }
        let servers = try ProviderDecoders.netmimicServers(try answer.json(), provider: spec.name, fields: fetcher.serverFields(spec), problems: problems)
        let token = try await session.current().token
        let subscription = try? await http.send("GET", base.appendingPathComponent("api/subscription"), headers: ["Authorization": "Bearer \(token)"])
        let account = subscription.flatMap { answer -> AccountState? in
            guard let json = try? answer.json(), (200..<300).contains(answer.status) else { return nil }
            let data = json["data"] ?? json
            let status = data.first(["status", "state"])?.string?.lowercased() ?? "active"
            return AccountState(status: status, expiresAt: data.first(["expires_at", "expired_at", "end_date", "valid_until"])?.string)
        }
        return (servers, account)
    }

    /// The account's session (the shared re-login-once loop).
    func session(_ http: HTTPClient) throws(ProviderError) -> ProviderSession {
        ProviderSession(cache: fetcher.cache, key: try cacheKey()) { () async throws(ProviderError) -> TokenCache.Entry in try await login(http) }
    }

    /// The token cache key of a NetMimic account.
    func cacheKey() throws(ProviderError) -> String {
        TokenCache.key(type: "netmimic", url: try spec.baseURL().absoluteString, user: try spec.secret("email") ?? "")
    }

    /// NetMimic `POST /api/login`: a fresh token and the device id login returned, cached.
    func login(_ http: HTTPClient) async throws(ProviderError) -> TokenCache.Entry {
        let base = try spec.baseURL()
        let email = try spec.secret("email") ?? ""
        let password = try spec.secret("password") ?? ""
        let device = spec.fields["deviceName"]?.string ?? "probe"
        let key = try cacheKey()
        let previous = fetcher.cache.token(for: key)
        let sent: JSONValue = previous?.deviceIDValue ?? spec.fields["deviceId"].map { $0 } ?? .string(MD5.hex("probe|\(email)|\(base)"))
        let answer = try await http.send("POST", base.appendingPathComponent("api/login"), json: .object([
            "email": .string(email), "password": .string(password), "device_id": sent, "device_name": .string(device),
        ]))
        let login = try ProviderDecoders.netmimicLogin(try answer.json(), status: answer.status, sentDeviceID: sent)
        let entry = TokenCache.Entry(token: login.token, deviceIDValue: login.deviceID)
        fetcher.cache.store(entry, for: key)
        return entry
    }

    func connect(_ server: Server, timeout: Duration, progress: (@Sendable (String) -> Void)?) async throws(ProviderError) -> ConnectionMaterial {
        guard let id = server.providerID else { throw ProviderError(.unexpectedShape, "the server list gave no id for it") }
        let http = fetcher.client(spec)
        let base = try spec.baseURL()
        let answer = try await session(http).send { entry throws(ProviderError) in
            try await http.send("POST", base.appendingPathComponent("api/key"), headers: ["Authorization": "Bearer \(entry.token)"],
                                json: .object(["server_id": ProviderFetcher.idValue(id), "device_id": entry.deviceIDValue ?? .string("")]))
        }
        if answer.status == 401 { throw ProviderError(.authentication, "key: 401 after a fresh login") }
        guard (200..<300).contains(answer.status) else {
            switch answer.status {
            case 404: throw ProviderError(.notFound, "key: \(ProviderFetcher.message(answer) ?? "server not found") (HTTP 404)")
            case 403, 422: throw ProviderError(.unavailable, "key: \(ProviderFetcher.message(answer) ?? "refused") (HTTP \(answer.status))")
            default: throw fetcher.failure(answer, "key")
            }
        }
        let material = ProviderFetcher.keyMaterial(answer)
        guard let material, !material.isEmpty else { throw ProviderError(.unexpectedShape, "key: the answer is empty") }
        return ProviderFetcher.keyConnection(material, server: server)
    }

    /// `POST /api/logout`, then the cached token is forgotten.
    func logout() async throws(ProviderError) -> String {
        let key = try cacheKey()
        if let entry = fetcher.cache.token(for: key) {
            let answer = try await fetcher.client(spec).send("POST", try spec.baseURL().appendingPathComponent("api/logout"),
                                                             headers: ["Authorization": "Bearer \(entry.token)"])
            fetcher.cache.remove(key)
            guard (200..<300).contains(answer.status) || answer.status == 401 else { throw fetcher.failure(answer, "logout") }
            return "logged out of \(spec.name)"
        }
        return "forgot the cached token of \(spec.name)"
    }
}
