import FoundationEssentials
import SafeText

/// VPNScript: a token reused until a 401, the Laravel paginator followed to its last page (only
/// on the configured origin), the account, and the hand-over (OpenVPN profile and credentials,
/// WireGuard configurations created, polled and released).
struct VPNScriptBackend: ProviderBackend {
    let fetcher: ProviderFetcher
    let spec: ProviderSpec

    func fetch(_ problems: ServerProblems) async throws(ProviderError) -> ([Server], AccountState?) {
        let base = try spec.baseURL()
        let http = fetcher.client(spec)
        let session = try session(http)
        var servers: [Server] = []
        var next: URL? = base.appendingPathComponent("api/servers")
        var pages = 0
        while let page = next {
            let answer = try await session.send { entry throws(ProviderError) in
                try await http.send("GET", page, headers: ["Authorization": "Bearer \(entry.token)"])
            }
            guard (200..<300).contains(answer.status) else {
                if answer.status == 400 || answer.status == 401 { throw ProviderDecoders.vpnscriptError((try? answer.json()) ?? .null, status: answer.status) }
                throw fetcher.failure(answer, "servers")
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
        let token = try await session.current().token
        let account = try? await http.send("GET", base.appendingPathComponent("api/account"), headers: ["Authorization": "Bearer \(token)"])
        return (servers, account.flatMap { try? ProviderDecoders.vpnscriptAccount(try $0.json()) })
    }

    /// The account's session (the shared re-login-once loop).
    func session(_ http: HTTPClient) throws(ProviderError) -> ProviderSession {
        ProviderSession(cache: fetcher.cache, key: try cacheKey()) { () async throws(ProviderError) -> TokenCache.Entry in
            TokenCache.Entry(token: try await login(http))
        }
    }

    /// The token cache key of a VPNScript account (bound to its origin and user).
    func cacheKey() throws(ProviderError) -> String {
        TokenCache.key(type: "vpnscript", url: try spec.baseURL().absoluteString, user: try spec.secret("username") ?? "")
    }

    /// VPNScript `POST /api/auth/token`: a fresh token, cached (no expiry given: reused until a 401).
    func login(_ http: HTTPClient) async throws(ProviderError) -> String {
        let base = try spec.baseURL()
        let username = try spec.secret("username") ?? ""
        let password = try spec.secret("password") ?? ""
        let device = spec.fields["deviceName"]?.string ?? "probe"
        let answer = try await http.send("POST", base.appendingPathComponent("api/auth/token"),
                                         json: .object(["username": .string(username), "password": .string(password), "device_name": .string(device)]))
        let token = try ProviderDecoders.vpnscriptToken(try answer.json(), status: answer.status)
        fetcher.cache.store(TokenCache.Entry(token: token), for: try cacheKey())
        return token
    }

    /// A VPNScript request with the cached token; a 401 gets one fresh login and a second try.
    func send(_ method: String, _ url: URL, body: JSONValue? = nil) async throws(ProviderError) -> HTTPAnswer {
        let http = fetcher.client(spec)
        let answer = try await session(http).send { entry throws(ProviderError) in
            try await http.send(method, url, headers: ["Authorization": "Bearer \(entry.token)"], json: body)
        }
        if answer.status == 401 { throw ProviderError(.authentication, "401 after a fresh login: \(ProviderFetcher.message(answer) ?? "Unauthenticated.")") }
        return answer
    }

    /// The documented errors (422 account and server problems, 404 not found) as one line.
    func documentedFailure(_ answer: HTTPAnswer, _ what: String) -> ProviderError {
        let text = ProviderFetcher.message(answer)
        switch answer.status {
        case 404: return ProviderError(.notFound, "\(what): \(text ?? "not found") (HTTP 404)")
        case 422: return ProviderError(.unavailable, "\(what): \(text ?? "refused") (HTTP 422)")
        case 400: return ProviderError(.suspended, "\(what): \(text ?? "the account is suspended") (HTTP 400)")
        default: return fetcher.failure(answer, what)
        }
    }

    func connect(_ server: Server, timeout: Duration, progress: (@Sendable (String) -> Void)?) async throws(ProviderError) -> ConnectionMaterial {
        guard let id = server.providerID else { throw ProviderError(.unexpectedShape, "the server list gave no id for it") }
        let base = try spec.baseURL()
        switch server.protocol?.lowercased() {
        case "openvpn"?:
            let profileAnswer = try await send("GET", ProviderFetcher.adding("server_id", id, to: base.appendingPathComponent("api/openvpn/profile")))
            guard (200..<300).contains(profileAnswer.status) else { throw documentedFailure(profileAnswer, "openvpn profile") }
            let profileJSON = try profileAnswer.json()
            guard profileJSON["success"]?.bool != false, case .string(let served)? = profileJSON["data"], served.contains("remote") else {
                throw ProviderError(.unexpectedShape, "openvpn profile: \(profileJSON["message"]?.string.map { SafeText.escaped($0) } ?? "the answer holds no profile in 'data'")")
            }
            let authAnswer = try await send("GET", ProviderFetcher.adding("server_id", id, to: base.appendingPathComponent("api/openvpn/auth")))
            guard (200..<300).contains(authAnswer.status) else { throw documentedFailure(authAnswer, "openvpn auth") }
            let auth = try authAnswer.json()
            guard auth["success"]?.bool != false, let username = auth.value(at: "data.username")?.string,
                  let password = auth.value(at: "data.password")?.string
            else { throw ProviderError(.unexpectedShape, "openvpn auth: the answer holds no data.username and data.password") }
            Redaction.register(password)
            let authName = ProviderFetcher.fileNames["openvpn_auth"] ?? "openvpn-auth.txt"
            let profile = OpenVPNProfile(served: served, authPath: authName)
            let endpoint = OpenVPNProfile.endpoint(of: profile.text)
            return ConnectionMaterial(
                protocol: "openvpn", host: endpoint?.host ?? server.host, port: endpoint?.port, transport: endpoint?.transport,
                files: [MaterialFile(kind: "openvpn", name: ProviderFetcher.fileNames["openvpn"] ?? "profile.ovpn", contents: profile.text),
                        MaterialFile(kind: "openvpn_auth", name: authName, contents: OpenVPNProfile.authFile(username: username, password: password))],
                notes: profile.notes)
        case "wireguard"?:
            return try await wireGuard(server, id: id, timeout: timeout, progress: progress)
        case let other:
            throw ProviderError(.unsupported, "protocol \(SafeText.quoted(other ?? "(none)", limit: 20)): VPNScript hands over openvpn and wireguard only")
        }
    }

    /// The configurations of one server: id, status (0 pending, 1 active, 2 pending deletion),
    /// config text, failure reason. A 404 "No configuration found" is an empty list.
    private func wireguardConfigs(id: String) async throws(ProviderError) -> [(id: Int, status: Int, config: String?, failure: String?)] {
        let url = ProviderFetcher.adding("server_id", id, to: try spec.baseURL().appendingPathComponent("api/wireguard/configs"))
        let answer = try await send("GET", url)
        if answer.status == 404, ProviderFetcher.message(answer)?.lowercased().contains("no configuration") == true { return [] }
        guard (200..<300).contains(answer.status) else { throw documentedFailure(answer, "wireguard configs") }
        guard case .array(let items)? = try answer.json()["data"] else {
            throw ProviderError(.unexpectedShape, "wireguard configs: the answer holds no data array")
        }
        return items.compactMap { item in
            guard let configID = item["id"]?.int else { return nil }
            return (configID, item["status"]?.int ?? -1, item["config"]?.string, item["fail_reason"]?.string)
        }
    }

    private func wireGuard(
        _ server: Server, id: String, timeout: Duration, progress: (@Sendable (String) -> Void)?
    ) async throws(ProviderError) -> ConnectionMaterial {
        @Sendable func material(_ config: String, created: Int?) throws(ProviderError) -> ConnectionMaterial {
            guard WireGuardConfig.isConfiguration(config) else {
                throw ProviderError(.unexpectedShape, "wireguard config: not a wg-quick configuration ([Interface] with a PrivateKey)")
            }
            for secret in WireGuardConfig.secrets(of: config) { Redaction.register(secret) }
            let endpoint = WireGuardConfig.endpoint(of: config)
            return ConnectionMaterial(
                protocol: "wireguard", host: endpoint?.host ?? server.host, port: endpoint?.port, transport: "udp",
                files: [MaterialFile(kind: "wireguard", name: ProviderFetcher.fileNames["wireguard"] ?? "probe.conf", contents: config.hasSuffix("\n") ? config : config + "\n")],
                created: created.map { ["wireguard_config_id": $0] } ?? [:])
        }
        let before = try await wireguardConfigs(id: id)
        if let active = before.first(where: { $0.status == 1 && $0.config.map(WireGuardConfig.isConfiguration) == true }), let config = active.config {
            return try material(config, created: nil)
        }
        let known = Set(before.map(\.id))
        let create = try await send("POST", try spec.baseURL().appendingPathComponent("api/wireguard/create"),
                                             body: .object(["server_id": ProviderFetcher.idValue(id)]))
        guard (200..<300).contains(create.status) else { throw documentedFailure(create, "wireguard create") }
        if let json = try? create.json(), json["success"]?.bool == false || json["status"]?.bool == false {
            throw ProviderError(.unavailable, "wireguard create: \(json["message"]?.string.map { SafeText.escaped($0) } ?? "refused")")
        }
        // From here on a configuration exists (or is being made) at the provider for us: whatever
        // ends this wait other than success (its failure, the timeout, cancellation by a signal)
        // gives it back before the error goes on, so nothing is orphaned there.
        var pendingID: Int?
        do throws(ProviderError) {
            return try await awaitFresh(server, id: id, known: known, timeout: timeout, progress: progress, pendingID: &pendingID, material: material)
        } catch {
            throw await givingBack(pendingID, server: id, known: known, after: error)
        }
    }

    /// Polls the server's configurations until the one created for us (an id not in `known`) is
    /// active, failed, or `timeout` passes; `pendingID` is its id once seen (reported to
    /// ``ProviderFetcher/onCreated`` at once).
    private func awaitFresh(
        _ server: Server, id: String, known: Set<Int>, timeout: Duration, progress: (@Sendable (String) -> Void)?,
        pendingID: inout Int?, material: (String, Int?) throws(ProviderError) -> ConnectionMaterial
    ) async throws(ProviderError) -> ConnectionMaterial {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var wait = Duration.milliseconds(250)
        var polls = 0
        while true {
            polls += 1
            let configs = try await wireguardConfigs(id: id)
            let fresh = configs.filter { !known.contains($0.id) }.sorted { $0.id > $1.id }
            if let mine = fresh.first {
                if pendingID != mine.id {
                    pendingID = mine.id
                    fetcher.onCreated?(spec.name, ["wireguard_config_id": mine.id])
                }
                if let reason = mine.failure {
                    throw ProviderError(.unavailable, "wireguard configuration \(mine.id) failed: \(SafeText.escaped(reason, limit: 200))")
                }
                if mine.status == 1, let config = mine.config { return try material(config, mine.id) }
                if mine.status == 2 { throw ProviderError(.unavailable, "wireguard configuration \(mine.id) is pending deletion") }
            }
            let now = clock.now
            guard now + wait <= deadline else {
                throw ProviderError(.timeout, "wireguard configuration not active after \(ProviderFetcher.seconds(timeout)) s, \(polls) polls")
            }
            progress?("waiting for the wireguard configuration of \(server.name): poll \(polls), \(ProviderFetcher.seconds(now - (deadline - timeout))) s")
            do { try await Task.sleep(for: wait) } catch { throw ProviderError(.timeout, "cancelled while waiting for the wireguard configuration") }
            wait = min(wait * 2, .seconds(2))
        }
    }

    /// `error`, once the configuration created for us is given back: by its id when it was seen,
    /// else found by one more look at the server's configurations. Runs outside the caller's
    /// cancellation (a signal cancels the wait, not the give-back) and within a few seconds.
    private func givingBack(_ pendingID: Int?, server id: String, known: Set<Int>, after error: ProviderError) async -> ProviderError {
        let backend = self
        let outcome = await Task.detached { () -> String in
            await withTaskGroup(of: String?.self) { group in
                group.addTask {
                    do throws(ProviderError) {
                        var configID = pendingID
                        if configID == nil {
                            configID = try await backend.wireguardConfigs(id: id).map(\.id).filter { !known.contains($0) }.max()
                        }
                        guard let configID else { return "no configuration was created" }
                        let done = try await backend.release(["wireguard_config_id": configID])
                        backend.fetcher.onGivenBack?(backend.spec.name, ["wireguard_config_id": configID])
                        return done.joined(separator: "; ")
                    } catch {
                        let which = pendingID.map { "configuration \($0)" } ?? "the new configuration"
                        return "\(which) could not be given back (\(error.message)): delete it in the provider's panel"
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: Self.giveBackBound)
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first ?? "\(pendingID.map { "configuration \($0)" } ?? "the new configuration") not given back within \(Self.giveBackBound): delete it in the provider's panel"
            }
        }.value
        return ProviderError(error.code, "\(error.message); \(outcome)")
    }

    /// How long giving back a configuration may take when a connect fails or is interrupted.
    static let giveBackBound = Duration.seconds(4)

    /// Gives back VPNScript's WireGuard configuration (`DELETE /api/wireguard/delete` with its
    /// `config_id`); one already gone counts as released.
    func release(_ created: [String: Int]) async throws(ProviderError) -> [String] {
        guard let configID = created["wireguard_config_id"] else { return [] }
        let answer = try await send("DELETE", try spec.baseURL().appendingPathComponent("api/wireguard/delete"),
                                    body: .object(["config_id": .number(Double(configID))]))
        switch answer.status {
        case 200..<300: return ["wireguard configuration \(configID) deleted"]
        case 404: return ["wireguard configuration \(configID) was already gone"]
        default: throw documentedFailure(answer, "wireguard delete")
        }
    }
}
