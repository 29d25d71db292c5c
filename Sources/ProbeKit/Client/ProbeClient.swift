import FoundationEssentials
import SafeText
public import Prober
public import ProviderFetch
public import Ranking

/// The one type an orchestrator needs: fetch every provider, probe every server, rank, and keep
/// the choice sticky across runs; once (``best()``, ``rank()``) or periodically (``rounds(every:count:clock:)``).
///
/// ```swift
/// import ProbeKit
///
/// var configuration = ProbeClient.Configuration()
/// configuration.providersFile = "/etc/probe/config.json"
/// configuration.targets = ["vpn1.example.net:443"]
/// let client = ProbeClient(configuration: configuration)
/// let report = try await client.best()
/// if let best = report.best { print("connect to", best.target) }
/// ```
///
/// The `probe` command is built on this type and nothing else. Every call honours cancellation:
/// cancelling the calling task stops fetching and probing at once.
public struct ProbeClient: Sendable {
    /// Everything a client does, as plain data: `Codable`, so an orchestrator can keep it in its
    /// own configuration. Missing keys take their defaults when decoding.
    public struct Configuration: Hashable, Sendable, Codable {
        /// Explicit targets: `host`, `host:port`, `[v6]:port` (default port 443).
        public var targets: [String]
        /// The provider configuration file (the format in the README), if any.
        public var providersFile: String?
        /// Servers the user holds, each a provider of its own: a folder, `.zip` or file of wg-quick
        /// files, OpenVPN profiles, share links, Clash/mihomo YAML or sing-box JSON (`-`: standard
        /// input), or a subscription URL; `NAME=SOURCE` names it (else its file's name or host).
        public var sources: [String]
        /// How to probe and rank.
        public var probing: ProbeConfiguration
        /// Where the sticky choice and its history are kept; `nil`: no stickiness.
        public var stateFile: String?
        /// When a challenger replaces the incumbent.
        public var sticky: StickyPolicy
        /// Where provider tokens are cached (mode 0600); `nil`: the default under `$XDG_CACHE_HOME`.
        public var tokenCacheFile: String?

        /// A configuration with the documented defaults, or the values given.
        public init(
            targets: [String] = [], providersFile: String? = nil, sources: [String] = [], probing: ProbeConfiguration = ProbeConfiguration(),
            stateFile: String? = nil, sticky: StickyPolicy = StickyPolicy(), tokenCacheFile: String? = nil
        ) {
            self.targets = targets
            self.providersFile = providersFile
            self.sources = sources
            self.probing = probing
            self.stateFile = stateFile
            self.sticky = sticky
            self.tokenCacheFile = tokenCacheFile
        }

        enum CodingKeys: String, CodingKey {
            case targets, providersFile, sources, probing, session, stateFile, sticky, tokenCacheFile
        }

        /// Whether any provider is configured: a providers file or a source.
        public var hasProviders: Bool { providersFile != nil || !sources.isEmpty }

        /// Writes every key (under its current name).
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(targets, forKey: .targets)
            try container.encodeIfPresent(providersFile, forKey: .providersFile)
            try container.encode(sources, forKey: .sources)
            try container.encode(probing, forKey: .probing)
            try container.encodeIfPresent(stateFile, forKey: .stateFile)
            try container.encode(sticky, forKey: .sticky)
            try container.encodeIfPresent(tokenCacheFile, forKey: .tokenCacheFile)
        }

        /// Reads a configuration; every key is optional.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            targets = try container.value(.targets, or: [])
            providersFile = try container.decodeIfPresent(String.self, forKey: .providersFile)
            sources = try container.value(.sources, or: [])
            // `session` is what earlier versions called it.
            probing = try container.value(.probing, or: try container.value(.session, or: ProbeConfiguration()))
            stateFile = try container.decodeIfPresent(String.self, forKey: .stateFile)
            sticky = try container.value(.sticky, or: StickyPolicy())
            tokenCacheFile = try container.decodeIfPresent(String.self, forKey: .tokenCacheFile)
        }
    }

    /// probe's version as built (`0.12.0`; a release build says how far from its tag it is:
    /// `0.12.0+5.g1a2b3c4`): what `probe --version`, `User-Agent` and every report carry.
    public static var version: String { ProbeVersion.current }

    /// The configuration.
    public var configuration: Configuration
    /// Targets already parsed (added to ``Configuration/targets``).
    public var parsedTargets: [ProbeTarget]
    /// Servers given in code (added to the providers' servers).
    public var servers: [Server]
    /// Problems found before the run (bad target lines), carried into every report.
    public var inputErrors: [ReportError]
    /// The files as last read, for a long-running client (`probe serve`) that reloads them on
    /// demand; `nil`: read the providers file afresh every run.
    package var snapshot: ConfigurationSnapshot?
    /// The servers are the demo's (`--demo`): the hand-over makes throwaway material for them
    /// (``DemoMaterial``) instead of asking a provider.
    package var demo = false
    /// Spreads every full run's probe starts over a window (`probe serve`); `nil`: as fast as `rate` allows.
    package var spread: ProbeSpread?
    /// Called with progress as providers answer and targets become final (on any thread; keep it cheap).
    public var progress: (@Sendable (ProbeProgress) -> Void)?

    /// A client.
    public init(
        configuration: Configuration = Configuration(), targets: [ProbeTarget] = [], servers: [Server] = [],
        inputErrors: [ReportError] = [], progress: (@Sendable (ProbeProgress) -> Void)? = nil
    ) {
        self.configuration = configuration
        self.parsedTargets = targets
        self.servers = servers
        self.inputErrors = inputErrors
        self.progress = progress
    }

    /// The best server now, answered early (see ``EarlyAnswerOptions``), and kept sticky.
    public func best() async throws(ProbeClientError) -> ProbeReport {
        try await run(early: true)
    }

    /// Every server measured in full and ranked, best first (sticky like ``best()``).
    public func rank() async throws(ProbeClientError) -> ProbeReport {
        try await run(early: false)
    }

    /// One run: fetch, probe, rank, apply stickiness. `early` answers as ``best()`` does.
    public func run(early: Bool) async throws(ProbeClientError) -> ProbeReport {
        let start = MonotonicInstant.now()
        // Too few descriptors to open even one socket beside the reactor: say so rather than fail
        // every probe with EMFILE (HTTP to providers needs a few more).
        let extra = FileDescriptorBudget.sweepMinimum + (configuration.hasProviders ? 8 : 0)
        if let tooLow = FileDescriptorBudget.tooLow(extra: extra) { throw ProbeClientError(.descriptorLimit, tooLow) }
        var (targets, errors) = resolveTargets()
        var servers = self.servers
        var notes: [String] = []
        let fetchStart = MonotonicInstant.now()
        var fetchMs: Double?
        var providers: [ProviderStatus] = []
        var labels: [LabelRule] = []
        if configuration.hasProviders {
            let fetched = try await fetchProviders()
            labels = fetched.labels
            notes += fetched.warnings
            servers += fetched.servers
            errors += fetched.errors
            providers = fetched.outcomes.map(ProviderStatus.init)
            fetchMs = MonotonicInstant.now().milliseconds(since: fetchStart)
        }
        guard !targets.isEmpty || !servers.isEmpty else {
            if errors.isEmpty { throw ProbeClientError(.noTargets, "no targets: give targets, a providers file, or servers") }
            var report = ProbeReport(best: nil, ranked: [], errors: errors, elapsedMs: ReportEntry.ms(MonotonicInstant.now().milliseconds(since: start)))
            report.providers = providers
            return report  // every target was bad, or every provider failed: each is in `errors`
        }
        if Task.isCancelled { throw ProbeClientError(.cancelled, "cancelled") }
        var session = ProbeSession(configuration: try effectiveSession(), progress: progress)
        session.spread = spread
        let store = configuration.stateFile.map(StateStore.init(path:))
        var prior: StickyState?
        if let store {
            let (state, warning) = store.load()
            if let warning { notes.append(warning) }
            prior = state
        }
        let sticky = prior.map { StickyInput(state: $0, policy: configuration.sticky) }
        var report = early
            ? await session.best(targets: targets, servers: servers, errors: errors, prior: prior, sticky: sticky)
            : await session.run(targets: targets, servers: servers, errors: errors, sticky: sticky)
        if let store, let decision = report.stickyDecision, !(report.sweep?.cancelled ?? false) {
            // Another probe process may have saved since this one loaded: its history stays, this
            // run's decision and results go on top (under the file's lock, so neither is lost).
            let finished = report
            let problem = store.update { current in
                current.choice = decision.state.choice
                current.pending = decision.state.pending
                current.pendingCount = decision.state.pendingCount
                if current.history.isEmpty { current.history = decision.state.history }
                finished.recordHistory(into: &current)
            }
            if let problem { notes.append(problem) }
        }
        report.applyLabels(labels)
        report.notes = notes + report.notes
        // Servers handed in (the demo's, an orchestrator's own) count under their providers too.
        var given: [String: Int] = [:]
        for server in self.servers { given[server.provider, default: 0] += 1 }
        for name in given.keys.sorted() where !providers.contains(where: { $0.name == name }) {
            providers.append(ProviderStatus(name: name, up: true, servers: given[name] ?? 0, fetchMs: 0))
        }
        report.providers = providers
        report.durations?.fetchMs = fetchMs.map(ReportEntry.ms)
        report.elapsedMs = ReportEntry.ms(MonotonicInstant.now().milliseconds(since: start))
        if report.sweep?.cancelled == true || Task.isCancelled { throw ProbeClientError(.cancelled, "cancelled") }
        return report
    }

    /// Runs every `period` (fetch, probe, rank), `count` times or until the consuming task is
    /// cancelled. Round `k` starts at `start + k × period` on `clock`, even when a round was slow;
    /// rounds never overlap: a round whose start has passed while the previous one ran is skipped
    /// and counted in the next round's ``ProbeRound/skipped``.
    public func rounds<C: Clock>(every period: Duration, count: Int? = nil, clock: C) -> ProbeRounds<C> where C.Duration == Duration {
        ProbeRounds(period: period, count: count, clock: clock) { [self] () async throws(ProbeClientError) -> ProbeReport in try await self.rank() }
    }

    /// ``rounds(every:count:clock:)`` on the continuous clock.
    public func rounds(every period: Duration, count: Int? = nil) -> ProbeRounds<ContinuousClock> {
        rounds(every: period, count: count, clock: ContinuousClock())
    }

    /// Every configured provider's answer (servers, account state, or the error), fetched at once;
    /// servers of accounts that are expired, suspended or out of traffic come with that reason.
    package func fetchProviders() async throws(ProbeClientError) -> ProviderListing {
        let (loaded, directory) = try loadProviders()
        let cache = TokenCache(path: configuration.tokenCacheFile ?? TokenCache.defaultPath())
        let fetched = await ProbeSession.fetch(loaded, cache: cache, baseDirectory: directory, progress: progress)
        let accountNotes = fetched.outcomes.compactMap { outcome in
            outcome.error == nil && outcome.exclusion == nil ? outcome.account?.note.map { "\(outcome.provider): \($0)" } : nil
        }
        return ProviderListing(
            servers: fetched.servers, outcomes: fetched.outcomes, errors: fetched.errors, warnings: loaded.warnings + accountNotes,
            labels: loaded.labels)
    }

    /// Ends the session with provider `name` (NetMimic's logout) and forgets its cached token;
    /// returns what was done, in one line.
    public func logout(provider name: String) async throws(ProbeClientError) -> String {
        let (loaded, directory) = try loadProviders()
        guard let spec = loaded.providers.first(where: { $0.name == name }) else {
            throw ProbeClientError(.configuration, "no provider named '\(name)' in the configuration")
        }
        let cache = TokenCache(path: configuration.tokenCacheFile ?? TokenCache.defaultPath())
        do {
            return try await ProviderFetcher(configuration: loaded, cache: cache, baseDirectory: directory).logout(spec)
        } catch {
            throw ProbeClientError(.provider, "\(name): \(error.message)")
        }
    }

    /// The session's configuration with the providers file's `ranking` section applied: defaults,
    /// then the file, then what this configuration sets (the `probe` command's flags) win. The
    /// same file gives the same weights to `probe` and to an orchestrator.
    package func effectiveSession() throws(ProbeClientError) -> ProbeConfiguration {
        var session = configuration.probing
        guard configuration.hasProviders else { return session }
        let (loaded, _) = try loadProviders()
        session.ranking = try Self.rankingWeights(session.ranking, file: loaded.ranking)
        return session
    }

    /// `weights` with a configuration file's `ranking` section applied (see ``effectiveSession()``).
    package static func rankingWeights(_ weights: RankingWeights, file section: JSONValue?) throws(ProbeClientError) -> RankingWeights {
        guard let section else { return weights }
        guard case .object(let members) = section else { throw ProbeClientError(.configuration, "ranking must be an object of numbers") }
        var numbers: [String: Double] = [:]
        for (key, value) in members {
            guard case .number(let number) = value else { throw ProbeClientError(.configuration, "ranking.\(key) must be a number of 0 or more") }
            numbers[key] = number
        }
        do {
            return try weights.applying(section: numbers)
        } catch {
            throw ProbeClientError(.configuration, error.message)
        }
    }

    /// The providers file, parsed, and the directory relative paths in it are read from.
    func loadProviders() throws(ProbeClientError) -> (ProviderConfiguration, String) {
        var (loaded, directory): (ProviderConfiguration, String)
        if let snapshot, snapshot.providersFile != nil {
            (loaded, directory) = try snapshot.providers()
        } else if let path = configuration.providersFile {
            (loaded, directory) = try Self.loadProviders(path: path)
        } else if !configuration.sources.isEmpty {
            (loaded, directory) = (ProviderConfiguration(providers: [], warnings: []), FileManager.default.currentDirectoryPath)
        } else {
            throw ProbeClientError(.configuration, "no providers file: give one (--config FILE), or a source (--from SOURCE), or write \(ProviderConfiguration.defaultPath() ?? "~/.config/probe/config.json")")
        }
        // Each source is a provider of its own, named after it (a second of the same name gets `-2`).
        var names = Set(loaded.providers.map(\.name))
        for source in configuration.sources {
            var spec = BundleReader.spec(source, baseDirectory: FileManager.default.currentDirectoryPath)
            var name = spec.name
            var number = 2
            while names.contains(name) { name = "\(spec.name)-\(number)"; number += 1 }
            spec.name = name
            names.insert(name)
            loaded.providers.append(spec)
        }
        return (loaded, directory)
    }

    /// The providers file at `path`, parsed, and the directory relative paths in it are read from.
    static func loadProviders(path: String) throws(ProbeClientError) -> (ProviderConfiguration, String) {
        do {
            let directory = path.deletingLastPathComponent
            return (try ProviderConfiguration.load(path: path), directory.isEmpty ? "." : directory)
        } catch {
            throw ProbeClientError(.configuration, error.message)
        }
    }

    /// The explicit targets: those parsed already and those of the configuration.
    func resolveTargets() -> (targets: [ProbeTarget], errors: [ReportError]) {
        let parsed = TargetList.parse(arguments: configuration.targets)
        let files = snapshot?.targets ?? (targets: [], errors: [])
        return (Self.joined([parsedTargets, files.targets, parsed.targets]), inputErrors + files.errors + parsed.errors)
    }

    /// The parts one after the other; when only one holds anything, that array itself (shared,
    /// not copied: 10,000 targets are a megabyte that would otherwise be held twice).
    static func joined<Element>(_ parts: [[Element]]) -> [Element] {
        let nonEmpty = parts.filter { !$0.isEmpty }
        if nonEmpty.count <= 1 { return nonEmpty.first ?? [] }
        return nonEmpty.flatMap { $0 }
    }
}
