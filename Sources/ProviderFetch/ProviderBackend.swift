/// What every provider kind does, one file each (``XMPlusBackend``, ``VPNScriptBackend``,
/// ``NetMimicBackend``, ``JSONBackend``, ``StaticBackend``): fetch its servers and account, hand
/// over a server's connection material, give back what that created, end the session.
protocol ProviderBackend: Sendable {
    /// The fetcher (token cache, base directory, HTTP client per provider).
    var fetcher: ProviderFetcher { get }
    /// The provider's configuration.
    var spec: ProviderSpec { get }

    /// The servers (entries that cannot be servers go to `problems`) and the account, if reported.
    func fetch(_ problems: ServerProblems) async throws(ProviderError) -> ([Server], AccountState?)
    /// What a client needs to connect to `server`.
    func connect(_ server: Server, timeout: Duration, progress: (@Sendable (String) -> Void)?) async throws(ProviderError) -> ConnectionMaterial
    /// Gives back what ``connect(_:timeout:progress:)`` created; returns what was done.
    func release(_ created: [String: Int]) async throws(ProviderError) -> [String]
    /// Ends the session and forgets the cached token; returns what was done, in one line.
    func logout() async throws(ProviderError) -> String
    /// Where the account's token is cached, if it logs in.
    func cacheKey() throws(ProviderError) -> String
}

extension ProviderBackend {
    func connect(_ server: Server, timeout: Duration, progress: (@Sendable (String) -> Void)?) async throws(ProviderError) -> ConnectionMaterial {
        throw ProviderError(.unsupported, "a \(spec.type) list carries no connection material")
    }

    func release(_ created: [String: Int]) async throws(ProviderError) -> [String] {
        guard created.isEmpty else {
            throw ProviderError(.unsupported, "\(created.keys.sorted().joined(separator: ", ")) is nothing a \(spec.type) provider creates")
        }
        return []
    }

    func logout() async throws(ProviderError) -> String {
        fetcher.cache.remove(try cacheKey())
        return "forgot the cached token of \(spec.name)"
    }

    func cacheKey() throws(ProviderError) -> String { TokenCache.key(type: spec.type, url: "", user: "") }
}

/// The provider kinds, as the configuration's `type` names them.
package enum ProviderKind: String, CaseIterable, Sendable {
    /// XMPlus client API v2.
    case xmplus
    /// VPNScript.
    case vpnscript
    /// NetMimic.
    case netmimic
    /// Any JSON API (xpay.stream authentication among its `auth` kinds).
    case json
    /// A static list (JSON or CSV) in a file.
    case `static`
    /// What the user holds: a folder, a zip or a file of wg-quick files, OpenVPN profiles, share
    /// links, Clash/mihomo or sing-box configurations (`path`).
    case files
    /// A subscription URL (`url`, optional `headers`): share links, plain or base64, or a
    /// Clash/mihomo or sing-box configuration.
    case subscription
}

extension ProviderFetcher {
    /// The backend of `spec`'s kind.
    func backend(_ spec: ProviderSpec) -> any ProviderBackend {
        switch ProviderKind(rawValue: spec.type) ?? .static {
        case .xmplus: XMPlusBackend(fetcher: self, spec: spec)
        case .vpnscript: VPNScriptBackend(fetcher: self, spec: spec)
        case .netmimic: NetMimicBackend(fetcher: self, spec: spec)
        case .json: JSONBackend(fetcher: self, spec: spec)
        case .static: StaticBackend(fetcher: self, spec: spec)
        case .files, .subscription: BundleBackend(fetcher: self, spec: spec)
        }
    }
}
