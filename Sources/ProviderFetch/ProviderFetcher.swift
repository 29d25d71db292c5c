import SafeText
import FoundationEssentials

/// What fetching one provider gave.
package struct ProviderOutcome: Sendable {
    /// The provider's name.
    package var provider: String
    /// Its servers (empty when it failed).
    package var servers: [Server]
    /// Its account state, when the provider reports one.
    package var account: AccountState?
    /// Why it failed, typed until it is printed.
    package var failure: ProviderError?
    /// Why it failed, in one line (the provider is named by ``provider``).
    package var error: String? { failure?.reason }
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
    /// Told, as soon as a provider has created something for a connection (VPNScript's WireGuard
    /// configuration id), the provider's name and what it created, so that it can be recorded
    /// (in the connection's directory) before anything else can go wrong.
    package var onCreated: (@Sendable (_ provider: String, _ created: [String: Int]) -> Void)?
    /// Resolves a host name to one address (gluetun takes no names); set by the client, which
    /// owns name resolution. Without it only numeric endpoints are used.
    package var resolve: (@Sendable (String) -> String?)?
    /// Told when what ``onCreated`` reported was given back (the connect failed or was interrupted).
    package var onGivenBack: (@Sendable (_ provider: String, _ created: [String: Int]) -> Void)?

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
                outcomes[index] ?? ProviderOutcome(provider: enabled[index].name, servers: [], failure: ProviderError(.timeout, "no answer before the deadline"),
                                                   milliseconds: 0)
            }
        }
    }

    /// One provider, start to end.
    package func fetch(_ spec: ProviderSpec) async -> ProviderOutcome {
        let start = ContinuousClock.now
        var outcome = ProviderOutcome(provider: spec.name, servers: [], failure: nil, milliseconds: 0)
        let problems = ServerProblems()
        do {
            (outcome.servers, outcome.account) = try await backend(spec).fetch(problems)
            outcome.problems = problems.summary.map { Redaction.redact($0) }
        } catch {
            outcome.failure = Task.isCancelled ? ProviderError(.timeout, "no answer before the deadline") : error
        }
        let elapsed = ContinuousClock.now - start
        outcome.milliseconds = Double(elapsed.components.seconds) * 1_000 + Double(elapsed.components.attoseconds) / 1e15
        return outcome
    }

    /// Ends the provider's session: NetMimic's `POST /api/logout`, and the cached token is forgotten
    /// for every type. Returns what was done, in one line.
    package func logout(_ spec: ProviderSpec) async throws(ProviderError) -> String {
        try await backend(spec).logout()
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
        ProviderError(.http, "\(what): HTTP \(answer.status)" + (Self.message(answer).map { ": \($0)" } ?? ""))
    }

}

extension Error {
    /// The one-line message of a ``ProviderError``, or a generic line for anything else.
    var message: String { (self as? ProviderError)?.message ?? "unexpected error" }
}
