import SafeText
import Foundation

/// What fetching one provider gave.
package struct ProviderOutcome: Sendable {
    /// The provider's name.
    package var provider: String
    /// Its servers (empty when it failed).
    package var servers: [Server]
    /// Its account state, when the provider reports one.
    package var account: AccountState?
    /// Why it failed, in one line.
    package var error: String?
    /// Wall time of the fetch, in milliseconds (monotonic clock).
    package var milliseconds: Double
    /// Entries of its server list that were skipped or had a figure ignored, one line each
    /// (the other servers are used).
    package var problems: [String] = []

    /// Why this provider's servers are left out of the ranking although the fetch worked
    /// (account expired, suspended or out of traffic), or `nil`.
    package var exclusion: String? { error == nil ? account?.exclusionReason : nil }
}

/// Fetches every provider's server list at once, under one overall deadline. One failing
/// provider never sinks the others. Passwords, API keys and tokens never appear in errors.
package struct ProviderFetcher: Sendable {
    /// The providers.
    package var configuration: ProviderConfiguration
    /// Where logins are kept between runs.
    package var cache: TokenCache
    /// Folder that relative static-list paths are read from.
    package var baseDirectory: String

    /// A fetcher.
    package init(configuration: ProviderConfiguration, cache: TokenCache, baseDirectory: String = FileManager.default.currentDirectoryPath) {
        self.configuration = configuration
        self.cache = cache
        self.baseDirectory = baseDirectory
    }

    /// Fetches every enabled provider concurrently; a provider still running at `deadline` is cancelled
    /// and reported as timed out. Outcomes come back in configuration order.
    /// `progress` is told how many providers are done, of how many, as each one ends.
    package func fetchAll(deadline: Duration = .seconds(30), progress: (@Sendable (Int, Int) -> Void)? = nil) async -> [ProviderOutcome] {
        let enabled = configuration.providers.filter(\.enabled)
        return await withTaskGroup(of: (Int, ProviderOutcome)?.self) { group in
            for (index, spec) in enabled.enumerated() {
                group.addTask { (index, await fetch(spec)) }
            }
            group.addTask {
                try? await Task.sleep(for: deadline)
                return nil
            }
            var outcomes = [ProviderOutcome?](repeating: nil, count: enabled.count)
            var remaining = enabled.count
            while remaining > 0, let next = await group.next() {
                guard let (index, outcome) = next else {
                    group.cancelAll()  // the deadline: whatever is still running is cancelled
                    continue
                }
                outcomes[index] = outcome
                remaining -= 1
                progress?(enabled.count - remaining, enabled.count)
            }
            group.cancelAll()
            return enabled.indices.map { index in
                outcomes[index] ?? ProviderOutcome(provider: enabled[index].name, servers: [], error: "no answer before the deadline", milliseconds: 0)
            }
        }
    }

    /// One provider, start to end.
    package func fetch(_ spec: ProviderSpec) async -> ProviderOutcome {
        let start = ContinuousClock.now
        var outcome = ProviderOutcome(provider: spec.name, servers: [], milliseconds: 0)
        let problems = ServerProblems()
        do {
            switch spec.type {
            case "xmplus": (outcome.servers, outcome.account) = try await fetchXMPlus(spec, problems)
            case "vpnscript": (outcome.servers, outcome.account) = try await fetchVPNScript(spec, problems)
            case "netmimic": (outcome.servers, outcome.account) = try await fetchNetMimic(spec, problems)
            case "json": outcome.servers = try await fetchJSON(spec, problems)
            default: outcome.servers = try fetchStatic(spec, problems)
            }
            outcome.problems = problems.summary.map { Redaction.redact($0) }
        } catch {
            outcome.error = Task.isCancelled ? "no answer before the deadline" : error.message
        }
        let elapsed = ContinuousClock.now - start
        outcome.milliseconds = Double(elapsed.components.seconds) * 1_000 + Double(elapsed.components.attoseconds) / 1e15
        return outcome
    }

    /// Ends the provider's session: NetMimic's `POST /api/logout`, and the cached token is forgotten
    /// for every type. Returns what was done, in one line.
    package func logout(_ spec: ProviderSpec) async throws(ProviderError) -> String {
        let base = spec.type == "static" ? nil : try spec.baseURL()
        let user: String
        switch spec.type {
        case "vpnscript": user = try spec.secret("username") ?? ""
        case "json": user = spec.fields["auth"]?["username"]?.string ?? ""
        default: user = try spec.secret("email", required: false) ?? ""
        }
        let cacheType = spec.type == "json" ? "xpay" : spec.type
        let url = spec.type == "xmplus" ? base?.appendingPathComponent("api/v2/client") : base
        let key = TokenCache.key(type: cacheType, url: url?.absoluteString ?? "", user: user)
        if spec.type == "netmimic", let base, let entry = cache.token(for: key) {
            let answer = try await client(spec).send("POST", base.appendingPathComponent("api/logout"),
                                                     headers: ["Authorization": "Bearer \(entry.token)"])
            cache.remove(key)
            guard (200..<300).contains(answer.status) || answer.status == 401 else { throw failure(answer, "logout") }
            return "logged out of \(spec.name)"
        }
        cache.remove(key)
        return "forgot the cached token of \(spec.name)"
    }

    // MARK: - Providers

    /// The usual key spellings, with the provider's `fields` overriding any of them.
    func serverFields(_ spec: ProviderSpec) -> ServerFields {
        var fields = ServerFields.lenient
        if case .object(let map)? = spec.fields["fields"] { fields = fields.overridden(by: map.compactMapValues(\.string)) }
        // `loadKind`: what the provider's load figure is, when its key does not say (count, utilisation, percent).
        if let kind = spec.fields["loadKind"]?.string?.lowercased(), ["count", "utilisation", "utilization", "percent"].contains(kind) {
            fields.loadKind = kind == "utilization" ? "utilisation" : kind
        }
        return fields
    }

    func client(_ spec: ProviderSpec) -> HTTPClient {
        // Every request of this provider, and every redirect, stays on its configured origin.
        HTTPClient(timeout: .milliseconds(Int64(spec.timeoutSeconds * 1_000)), origin: (try? spec.baseURL()).flatMap(Origin.init))
    }

    /// HTTP errors as one line: the provider's own message when its body has one.
    func failure(_ answer: HTTPAnswer, _ what: String) -> ProviderError {
        let message = (try? answer.json()).flatMap { $0.first(["message", "error", "msg"])?.string }
        return ProviderError(.http, "\(what): HTTP \(answer.status)" + (message.map { ": \(SafeText.escaped($0))" } ?? ""))
    }

    private func fetchXMPlus(_ spec: ProviderSpec, _ problems: ServerProblems) async throws(ProviderError) -> ([Server], AccountState?) {
        let url = try spec.baseURL().appendingPathComponent("api/v2/client")
        let email = try spec.secret("email") ?? ""
        let password = try spec.secret("password") ?? ""
        let apiToken = MD5.hex(try spec.secret("apiKey") ?? "")
        Redaction.register(apiToken)
        let headers = ["XMPus-API-Token": apiToken]
        let http = client(spec)
        let key = TokenCache.key(type: "xmplus", url: url.absoluteString, user: email)
        func login() async throws(ProviderError) -> String {
            let answer = try await http.send("POST", url.appendingPathComponent("token"), headers: headers,
                                             json: .object(["email": .string(email), "passwd": .string(password)]))
            guard (200..<300).contains(answer.status) else { throw failure(answer, "login") }
            let token = try ProviderDecoders.xmplusToken(try answer.json())
            cache.store(TokenCache.Entry(token: token, expiresAt: ProviderDecoders.jwtExpiry(token)), for: key)
            return token
        }
        var token: String
        if let cached = cache.token(for: key) { token = cached.token } else { token = try await login() }
        var relogged = false
        while true {
            let answer = try await http.send("POST", url.appendingPathComponent("servers"), headers: headers, json: .object(["token": .string(token)]))
            let json = try? answer.json()
            let expired = answer.status == 401 || (json?["ret"]?.int != 1 && (json?.first(["msg", "message"])?.string?.lowercased().contains("token") ?? false))
            if expired, !relogged {
                cache.remove(key)
                token = try await login()
                relogged = true
                continue
            }
            guard (200..<300).contains(answer.status), let json else {
                if answer.status >= 400 { throw failure(answer, "servers") }
                _ = try answer.json()
                throw ProviderError(.unexpectedShape, "servers: no JSON")
            }
            let servers = try ProviderDecoders.xmplusServers(json, provider: spec.name, problems: problems)
            let stats = try? await http.send("POST", url.appendingPathComponent("stats"), headers: headers, json: .object(["token": .string(token)]))
            let account = stats.flatMap { try? ProviderDecoders.xmplusAccount(try $0.json()) }
            return (servers, account)
        }
    }

    private func fetchVPNScript(_ spec: ProviderSpec, _ problems: ServerProblems) async throws(ProviderError) -> ([Server], AccountState?) {
        let base = try spec.baseURL()
        let http = client(spec)
        let key = try vpnscriptKey(spec)
        func login() async throws(ProviderError) -> String { try await vpnscriptLogin(spec, http) }
        var token: String
        if let cached = cache.token(for: key) { token = cached.token } else { token = try await login() }
        var relogged = false
        var servers: [Server] = []
        var next: URL? = base.appendingPathComponent("api/servers")
        var pages = 0
        while let page = next {
            let answer = try await http.send("GET", page, headers: ["Authorization": "Bearer \(token)"])
            if answer.status == 401, !relogged {
                cache.remove(key)
                token = try await login()
                relogged = true
                continue
            }
            guard (200..<300).contains(answer.status) else {
                if answer.status == 400 || answer.status == 401 { throw ProviderDecoders.vpnscriptError((try? answer.json()) ?? .null, status: answer.status) }
                throw failure(answer, "servers")
            }
            let decoded = try ProviderDecoders.vpnscriptServers(try answer.json(), provider: spec.name, problems: problems)
            servers += decoded.servers
            pages += 1
            next = nil
            if pages < 10_000, let text = decoded.next {
                // The paginator's URL gets the token: only on the configured origin.
                guard let url = URL(string: text, relativeTo: base)?.absoluteURL, let origin = Origin(base), origin.admits(url) else {
                    let shown = URL(string: text).map(Origin.display) ?? SafeText.quoted(text)
                    throw ProviderError(.redirect, "next page \(shown): not followed (credentials stay with \(Origin(base)?.description ?? "the provider"))")
                }
                next = url
            }
        }
        let account = try? await http.send("GET", base.appendingPathComponent("api/account"), headers: ["Authorization": "Bearer \(token)"])
        return (servers, account.flatMap { try? ProviderDecoders.vpnscriptAccount(try $0.json()) })
    }

    /// The token cache key of a VPNScript account (bound to its origin and user).
    func vpnscriptKey(_ spec: ProviderSpec) throws(ProviderError) -> String {
        TokenCache.key(type: "vpnscript", url: try spec.baseURL().absoluteString, user: try spec.secret("username") ?? "")
    }

    /// VPNScript `POST /api/auth/token`: a fresh token, cached (no expiry given: reused until a 401).
    func vpnscriptLogin(_ spec: ProviderSpec, _ http: HTTPClient) async throws(ProviderError) -> String {
        let base = try spec.baseURL()
        let username = try spec.secret("username") ?? ""
        let password = try spec.secret("password") ?? ""
        let device = spec.fields["deviceName"]?.string ?? "probe"
        let answer = try await http.send("POST", base.appendingPathComponent("api/auth/token"),
                                         json: .object(["username": .string(username), "password": .string(password), "device_name": .string(device)]))
        let token = try ProviderDecoders.vpnscriptToken(try answer.json(), status: answer.status)
        cache.store(TokenCache.Entry(token: token), for: try vpnscriptKey(spec))
        return token
    }

    /// The token cache key of a NetMimic account.
    func netmimicKey(_ spec: ProviderSpec) throws(ProviderError) -> String {
        TokenCache.key(type: "netmimic", url: try spec.baseURL().absoluteString, user: try spec.secret("email") ?? "")
    }

    /// NetMimic `POST /api/login`: a fresh token and the device id login returned, cached.
    func netmimicLogin(_ spec: ProviderSpec, _ http: HTTPClient) async throws(ProviderError) -> TokenCache.Entry {
        let base = try spec.baseURL()
        let email = try spec.secret("email") ?? ""
        let password = try spec.secret("password") ?? ""
        let device = spec.fields["deviceName"]?.string ?? "probe"
        let key = try netmimicKey(spec)
        let previous = cache.token(for: key)
        let sent: JSONValue = previous?.deviceIDValue ?? spec.fields["deviceId"].map { $0 } ?? .string(MD5.hex("probe|\(email)|\(base)"))
        let answer = try await http.send("POST", base.appendingPathComponent("api/login"), json: .object([
            "email": .string(email), "password": .string(password), "device_id": sent, "device_name": .string(device),
        ]))
        let login = try ProviderDecoders.netmimicLogin(try answer.json(), status: answer.status, sentDeviceID: sent)
        let entry = TokenCache.Entry(token: login.token, deviceIDValue: login.deviceID)
        cache.store(entry, for: key)
        return entry
    }

    private func fetchNetMimic(_ spec: ProviderSpec, _ problems: ServerProblems) async throws(ProviderError) -> ([Server], AccountState?) {
        let base = try spec.baseURL()
        let http = client(spec)
        let key = try netmimicKey(spec)
        let fields = serverFields(spec)
        func login() async throws(ProviderError) -> TokenCache.Entry { try await netmimicLogin(spec, http) }
        var entry: TokenCache.Entry
        if let cached = cache.token(for: key) { entry = cached } else { entry = try await login() }
        var relogged = false
        while true {
            let answer = try await http.send("POST", base.appendingPathComponent("api/servers"),
                                             headers: ["Authorization": "Bearer \(entry.token)"],
                                             json: .object(["device_id": entry.deviceIDValue ?? .string("")]))
            if answer.status == 401, !relogged {
                cache.remove(key)
                entry = try await login()
                relogged = true
                continue
            }
            guard (200..<300).contains(answer.status) else { throw failure(answer, "servers") }
            let servers = try ProviderDecoders.netmimicServers(try answer.json(), provider: spec.name, fields: fields, problems: problems)
            let subscription = try? await http.send("GET", base.appendingPathComponent("api/subscription"),
                                                    headers: ["Authorization": "Bearer \(entry.token)"])
            let account = subscription.flatMap { answer -> AccountState? in
                guard let json = try? answer.json(), (200..<300).contains(answer.status) else { return nil }
                let data = json["data"] ?? json
                let status = data.first(["status", "state"])?.string?.lowercased() ?? "active"
                return AccountState(status: status, expiresAt: data.first(["expires_at", "expired_at", "end_date", "valid_until"])?.string)
            }
            return (servers, account)
        }
    }

    /// The headers a generic JSON provider's requests carry (`auth`: none, `bearer`, `xpay`);
    /// `fresh` forgets a cached xpay token first.
    func jsonHeaders(_ spec: ProviderSpec, _ http: HTTPClient, fresh: Bool = false) async throws(ProviderError) -> [String: String] {
        let base = try spec.baseURL()
        let auth = spec.fields["auth"]
        let kind = auth?["type"]?.string?.lowercased() ?? "none"
        let authSpec = ProviderSpec(type: spec.type, name: spec.name, fields: auth ?? .null, timeoutSeconds: spec.timeoutSeconds, enabled: true)
        switch kind {
        case "xpay":
            // xpay.stream: a cached access token until it expires, else a fresh authentication.
            let username = auth?["username"]?.string ?? ""
            let key = TokenCache.key(type: "xpay", url: base.absoluteString, user: username)
            if fresh { cache.remove(key) }
            if let cached = cache.token(for: key) { return ["Authorization": "Bearer \(cached.token)"] }
            let secret = try authSpec.secret("secretKey") ?? ""
            let answer = try await http.send("POST", spec.endpoint("client/authenticate"), json: .object([
                "username": .string(username), "secretKey": .string(secret), "isAPI": .bool(true),
            ]))
            guard (200..<300).contains(answer.status) else { throw failure(answer, "authenticate") }
            let token = try ProviderDecoders.xpayToken(try answer.json())
            cache.store(TokenCache.Entry(token: token.token, expiresAt: token.expiresAtMilliseconds.map { $0 / 1_000 }), for: key)
            return ["Authorization": "Bearer \(token.token)"]
        case "bearer": return ["Authorization": "Bearer \(try authSpec.secret("token") ?? "")"]
        default: return [:]
        }
    }

    /// Sends a generic JSON provider's request with its auth; an xpay token refused with 401 is
    /// renewed once and the request sent again.
    func sendJSON(_ spec: ProviderSpec, _ http: HTTPClient, _ method: String, _ url: URL, body: JSONValue?) async throws(ProviderError) -> HTTPAnswer {
        let answer = try await http.send(method, url, headers: try await jsonHeaders(spec, http), json: body)
        guard answer.status == 401, spec.fields["auth"]?["type"]?.string?.lowercased() == "xpay" else { return answer }
        return try await http.send(method, url, headers: try await jsonHeaders(spec, http, fresh: true), json: body)
    }

    private func fetchJSON(_ spec: ProviderSpec, _ problems: ServerProblems) async throws(ProviderError) -> [Server] {
        let http = client(spec)
        let request = spec.fields["request"]
        let method = request?["method"]?.string?.uppercased() ?? "GET"
        let url = try spec.endpoint(request?["path"]?.string ?? "")
        let answer = try await sendJSON(spec, http, method, url, body: request?["body"])
        guard (200..<300).contains(answer.status) else { throw failure(answer, "servers") }
        return try ProviderDecoders.genericServers(try answer.json(), items: spec.fields["items"]?.string, provider: spec.name,
                                                   fields: serverFields(spec), problems: problems)
    }

    private func fetchStatic(_ spec: ProviderSpec, _ problems: ServerProblems) throws(ProviderError) -> [Server] {
        guard let path = spec.fields["path"]?.string else { throw ProviderError(.configuration, "provider '\(spec.name)': missing 'path'") }
        let full = path.hasPrefix("/") ? path : baseDirectory + "/" + path
        guard let data = FileManager.default.contents(atPath: full) else {
            throw ProviderError(.configuration, "provider '\(spec.name)': cannot read \(path)")
        }
        guard data.count <= HTTPClient.maximumBodyBytes else { throw ProviderError(.tooLarge, "\(path) is larger than 32 MiB") }
        return try ProviderDecoders.staticServers(data, provider: spec.name, problems: problems)
    }
}

extension Error {
    /// The one-line message of a ``ProviderError``, or a generic line for anything else.
    var message: String { (self as? ProviderError)?.message ?? "unexpected error" }
}
