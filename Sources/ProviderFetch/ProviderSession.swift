/// One account's session for one operation, the login loop every provider shares: the cached
/// token (or a login when there is none); a request the provider refuses as unauthorized gets
/// one fresh login and one more try, and never a second (a wrong password cannot loop).
final class ProviderSession {
    private let cache: TokenCache
    private let key: String
    private let login: () async throws(ProviderError) -> TokenCache.Entry
    private var entry: TokenCache.Entry?
    private var relogged = false

    /// A session on the token cached under `key`; `login` logs in afresh and caches the token.
    init(cache: TokenCache, key: String, login: @escaping () async throws(ProviderError) -> TokenCache.Entry) {
        self.cache = cache
        self.key = key
        self.login = login
    }

    /// The token in use (cached, or from a login now).
    func current() async throws(ProviderError) -> TokenCache.Entry {
        if let entry { return entry }
        let fresh: TokenCache.Entry
        if let cached = cache.token(for: key) { fresh = cached } else { fresh = try await login() }
        entry = fresh
        return fresh
    }

    /// Sends `request` with the token; when `expired` says the provider refused it, logs in once
    /// more (the cached token forgotten) and sends again. The second answer is returned whatever it is.
    func send(
        expired: (HTTPAnswer) -> Bool = { $0.status == 401 },
        _ request: (TokenCache.Entry) async throws(ProviderError) -> HTTPAnswer
    ) async throws(ProviderError) -> HTTPAnswer {
        let answer = try await request(try await current())
        guard expired(answer), !relogged else { return answer }
        relogged = true
        cache.remove(key)
        let fresh = try await login()
        entry = fresh
        return try await request(fresh)
    }
}
