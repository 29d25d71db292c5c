import FoundationEssentials
import ProbeSystem
public import ProviderFetch
import SafeText
#if canImport(Glibc)
import Glibc
#endif

/// The hand-over: from the pick to what a client needs to connect.
extension ProbeClient {
    /// How a connection is fetched.
    public struct ConnectOptions: Hashable, Sendable {
        /// The protocol asked for; a server speaking another is refused (or skipped by the fallback).
        public var `protocol`: String?
        /// How long a WireGuard configuration may stay pending at the provider.
        public var timeout: Duration
        /// How many servers after the best one are tried when the best one's material cannot be had.
        public var fallbacks: Int
        /// Keep the provider's script hooks (wg-quick's `PostUp`, OpenVPN's `up`, `plugin`, ...),
        /// for a provider the user trusts (`--allow-scripts`). Off: they are removed and named in
        /// the connection's `notes`.
        public var allowScripts: Bool
        /// Where the connection is written (created 0700, files 0600), or `nil` to only return it.
        /// The directory is checked and locked before anything is created at a provider, and
        /// what a provider creates is recorded there the moment it exists; a connection that
        /// cannot be written there is given back at once.
        public var directory: String?

        /// Options with the documented defaults (60 s, 4 fallbacks, no provider scripts, not written).
        public init(protocol: String? = nil, timeout: Duration = .seconds(60), fallbacks: Int = 4, allowScripts: Bool = false, directory: String? = nil) {
            self.protocol = `protocol`
            self.timeout = timeout
            self.fallbacks = fallbacks
            self.allowScripts = allowScripts
            self.directory = directory
        }
    }

    /// The best server now, as ``best()``, and with `connect` the connection to it: when the best
    /// server's material cannot be had (the provider's documented refusals, a provider that gives
    /// none), the next-best server of a provider that can give material is tried, and
    /// ``Connection/fallbackReason`` says why. Without a connection the report's `connection`
    /// is `nil` and its `errors` say why (the `probe` command exits 3).
    public func best(connect: Bool, options: ConnectOptions = ConnectOptions(), progress: (@Sendable (String) -> Void)? = nil) async throws(ProbeClientError) -> ProbeReport {
        guard connect else { return try await best() }
        return try await pick(early: true, connect: options, progress: progress)
    }

    /// One run (early as ``best()``, or in full as ``rank()``), then the connection to its pick
    /// as ``best(connect:options:progress:)`` describes.
    ///
    /// With ``ConnectOptions/directory`` the directory is checked and locked before probing, and
    /// the connection is written there (or, when it cannot be, given back and named in `errors`).
    public func pick(early: Bool, connect options: ConnectOptions, progress: (@Sendable (String) -> Void)? = nil) async throws(ProbeClientError) -> ProbeReport {
        let reservation = try options.directory.map { (path) throws(ProbeClientError) in try ConnectionDirectory.Reservation(path) }
        var report = try await run(early: early)
        try await attachConnection(to: &report, options: options, reservation: reservation, progress: progress)
        return report
    }

    /// The connection to `report`'s pick (or, as ``pick(early:connect:progress:)`` describes, to
    /// the next-best server that can give one) in its ``ProbeReport/connection``, or an error in
    /// its `errors` saying why there is none. Nothing is done when the report has no best entry.
    func attachConnection(
        to report: inout ProbeReport, options: ConnectOptions, reservation: ConnectionDirectory.Reservation? = nil,
        writes: Bool = true, progress: (@Sendable (String) -> Void)? = nil
    ) async throws(ProbeClientError) {
        guard let best = report.best else { return }
        if demo {
            try await attachDemoConnection(to: &report, best: best, options: options, reservation: reservation, writes: writes)
            return
        }
        let fetcher = try connectionFetcher(reservation)
        let candidates = Self.candidates(report, best: best)
        var reasons: [String] = []
        var tried = 0
        for entry in candidates {
            // Interrupted (a signal cancelled the run): no further provider is asked to create anything.
            guard tried <= options.fallbacks, !Task.isCancelled else { break }
            guard let server = entry.server else {
                reasons.append("\(entry.target): an explicit target, not a provider's server: no connection material")
                continue
            }
            guard let spec = fetcher.configuration.providers.first(where: { $0.name == server.provider }) else { continue }
            if let wanted = options.protocol, let spoken = server.protocol, !ProviderFetcher.speaks(spoken.lowercased(), wanted.lowercased()) { continue }
            if !Self.givesMaterial(spec) {
                if entry.candidateID == best.candidateID { reasons.append("\(server.name) (\(server.provider)): its provider gives no connection material (\(spec.type))") }
                continue
            }
            tried += 1
            do throws(ProviderError) {
                let material = try await fetcher.connect(server, spec: spec, protocol: options.protocol, timeout: options.timeout, progress: progress, allowScripts: options.allowScripts)
                await hand(material, for: server, reasons: reasons, to: &report, reservation: reservation, writes: writes)
                return
            } catch {
                reasons.append("\(server.provider): \(error.message)")
            }
        }
        let why = reasons.isEmpty ? "no server of a provider that gives connection material was reachable" : reasons.joined(separator: "; ")
        report.errors.append(ReportError(source: "connect", message: "no connection material: \(why)"))
    }

    /// Whose material is tried, in order: the best, then every other measured, admitted server.
    private static func candidates(_ report: ProbeReport, best: ReportEntry) -> [ReportEntry] {
        [best] + report.ranked.filter { $0.score != nil && $0.excluded == nil && $0.candidateID != best.candidateID && $0.server != nil }
    }

    /// `material` for `server` as the report's connection (why the servers before it gave none
    /// as its fallback reason), kept in the reservation's directory when `writes`; a connection
    /// that cannot be kept there is the report's error instead.
    private func hand(
        _ material: ConnectionMaterial, for server: Server, reasons: [String], to report: inout ProbeReport,
        reservation: ConnectionDirectory.Reservation?, writes: Bool
    ) async {
        let connection = Connection(provider: server.provider, server: server, material: material, fetchedAt: Self.timestamp(),
                                    fallbackReason: reasons.isEmpty ? nil : reasons.joined(separator: "; "))
        do throws(ProbeClientError) {
            if writes { try await keep(connection, in: reservation) }
        } catch {
            report.errors.append(ReportError(source: "connect", message: error.message))
            return
        }
        report.connection = connection
    }

    /// The demo's hand-over: the best demo server with a protocol the demo makes material for
    /// (WireGuard, OpenVPN, vmess/vless), as ``attachConnection(to:options:reservation:writes:progress:)``
    /// does for a provider's.
    private func attachDemoConnection(
        to report: inout ProbeReport, best: ReportEntry, options: ConnectOptions, reservation: ConnectionDirectory.Reservation?, writes: Bool
    ) async throws(ProbeClientError) {
        var reasons: [String] = []
        let candidates = Self.candidates(report, best: best)
        for entry in candidates {
            guard let server = entry.server else { continue }
            if let wanted = options.protocol, let spoken = server.protocol, !ProviderFetcher.speaks(spoken.lowercased(), wanted.lowercased()) { continue }
            guard let material = DemoMaterial.material(for: server) else {
                reasons.append("\(server.name) (\(server.provider)): the demo has no material for \(server.protocol ?? "this protocol")")
                continue
            }
            await hand(material, for: server, reasons: reasons, to: &report, reservation: reservation, writes: writes)
            return
        }
        report.errors.append(ReportError(source: "connect", message: "no connection material: " + (reasons.isEmpty ? "no demo server was reachable" : reasons.joined(separator: "; "))))
    }

    /// The connection to `server` (a provider's server, as in `probe servers --json`).
    /// With ``ConnectOptions/directory`` it is also written there, as ``pick(early:connect:progress:)`` does.
    public func connect(to server: Server, options: ConnectOptions = ConnectOptions(), progress: (@Sendable (String) -> Void)? = nil) async throws(ProbeClientError) -> Connection {
        let reservation = try options.directory.map { (path) throws(ProbeClientError) in try ConnectionDirectory.Reservation(path) }
        let (loaded, _) = try loadProviders()
        guard let spec = loaded.providers.first(where: { $0.name == server.provider }) else {
            throw ProbeClientError(.configuration, "no provider named \(SafeText.quoted(server.provider)) in the configuration")
        }
        let fetcher = try connectionFetcher(reservation)
        let connection: Connection
        do {
            let material = try await fetcher.connect(server, spec: spec, protocol: options.protocol, timeout: options.timeout, progress: progress, allowScripts: options.allowScripts)
            connection = Connection(provider: server.provider, server: server, material: material, fetchedAt: Self.timestamp())
        } catch {
            throw ProbeClientError(.connection, "\(server.provider): \(error.message)")
        }
        try await keep(connection, in: reservation)
        return connection
    }

    /// A fetcher for the hand-over that records what a provider creates in `reservation` at once.
    private func connectionFetcher(_ reservation: ConnectionDirectory.Reservation?) throws(ProbeClientError) -> ProviderFetcher {
        let (loaded, directory) = try loadProviders()
        var fetcher = ProviderFetcher(configuration: loaded, cache: tokenCache, baseDirectory: directory)
        fetcher.resolve = { EndpointAddress.resolve($0) }
        if let reservation {
            fetcher.onCreated = { provider, created in reservation.recordPending(provider: provider, created: created) }
            fetcher.onGivenBack = { provider, _ in reservation.clearPending(provider: provider) }
        }
        return fetcher
    }

    /// Writes `connection` through `reservation` (nothing without one); when it cannot be written,
    /// what it created is given back at once (never orphaned at the provider) and the error says so.
    private func keep(_ connection: Connection, in reservation: ConnectionDirectory.Reservation?) async throws(ProbeClientError) {
        guard let reservation else { return }
        do throws(ProbeClientError) {
            try reservation.write(connection)
        } catch {
            guard !connection.created.isEmpty else { throw error }
            let given: [String]
            do throws(ProbeClientError) {
                given = try await release(connection)
                reservation.clearPending(provider: connection.provider)
            } catch let failure {
                throw ProbeClientError(.connection, "\(error.message); and \(ConnectionDirectory.describe(connection.created)) could not be given back: \(failure.message)")
            }
            throw ProbeClientError(.connection, "\(error.message); \(given.joined(separator: "; "))")
        }
    }

    /// The connection to a ranked entry's server.
    public func connect(to entry: ReportEntry, options: ConnectOptions = ConnectOptions(), progress: (@Sendable (String) -> Void)? = nil) async throws(ProbeClientError) -> Connection {
        guard let server = entry.server else {
            throw ProbeClientError(.connection, "\(entry.target) is an explicit target, not a provider's server: no connection material")
        }
        return try await connect(to: server, options: options, progress: progress)
    }

    /// The connection to the server `id` (its `id` in `probe servers --json`, or the provider's own
    /// `provider_id`) of provider `name`, fetched from that provider now.
    public func connect(provider name: String, server id: String, options: ConnectOptions = ConnectOptions(), progress: (@Sendable (String) -> Void)? = nil) async throws(ProbeClientError) -> Connection {
        let (loaded, directory) = try loadProviders()
        guard let spec = loaded.providers.first(where: { $0.name == name }) else {
            throw ProbeClientError(.configuration, "no provider named \(SafeText.quoted(name)) in the configuration")
        }
        let outcome = await ProviderFetcher(configuration: loaded, cache: tokenCache, baseDirectory: directory).fetch(spec)
        if let error = outcome.error { throw ProbeClientError(.provider, "\(name): \(error)") }
        guard let server = outcome.servers.first(where: { $0.id == id }) ?? outcome.servers.first(where: { $0.providerID == id }) else {
            throw ProbeClientError(.unknownServer, "\(name) lists no server \(SafeText.quoted(id)) (ids as in 'probe servers --json')")
        }
        return try await connect(to: server, options: options, progress: progress)
    }

    /// Gives back what the connection created at its provider (VPNScript's WireGuard
    /// configuration); returns what was done, one line each.
    public func release(_ connection: Connection) async throws(ProbeClientError) -> [String] {
        guard !connection.created.isEmpty else { return [] }
        let (loaded, directory) = try loadProviders()
        guard let spec = loaded.providers.first(where: { $0.name == connection.provider }) else {
            throw ProbeClientError(.configuration, "no provider named \(SafeText.quoted(connection.provider)) in the configuration: cannot release \(ConnectionDirectory.describe(connection.created))")
        }
        do {
            return try await ProviderFetcher(configuration: loaded, cache: tokenCache, baseDirectory: directory).release(connection.created, spec: spec)
        } catch {
            throw ProbeClientError(.connection, "\(connection.provider): \(error.message)")
        }
    }

    /// Writes `connection` into the directory `path` (0700; every file 0600, replaced atomically).
    /// Holds the directory's lock while it writes (an error when another probe holds it).
    public static func write(_ connection: Connection, to path: String) throws(ProbeClientError) {
        try ConnectionDirectory.write(connection, to: path)
    }

    /// Reads the connection probe wrote into `path` (its manifest).
    public static func readConnection(at path: String) throws(ProbeClientError) -> Connection {
        try ConnectionDirectory.read(path)
    }

    /// Releases the connection in `path` at its provider, then removes what probe wrote there (and
    /// the directory when nothing else is left). Returns what was done, one line each.
    /// What a connect that did not finish recorded as created (`pending.json`) is given back too.
    public func release(directory path: String) async throws(ProbeClientError) -> [String] {
        let reservation = try ConnectionDirectory.Reservation(path, for: .release)
        var done: [String] = []
        if let pending = ConnectionDirectory.readPending(reservation.directory) {
            let (loaded, directory) = try loadProviders()
            guard let spec = loaded.providers.first(where: { $0.name == pending.provider }) else {
                throw ProbeClientError(.configuration, "no provider named \(SafeText.quoted(pending.provider)) in the configuration: cannot release \(ConnectionDirectory.describe(pending.created))")
            }
            do {
                done += try await ProviderFetcher(configuration: loaded, cache: tokenCache, baseDirectory: directory).release(pending.created, spec: spec)
            } catch {
                throw ProbeClientError(.connection, "\(pending.provider): \(error.message)")
            }
            reservation.clearPending()
        }
        let connection: Connection
        do throws(ProbeClientError) {
            connection = try ConnectionDirectory.read(path)
        } catch {
            guard !done.isEmpty else { throw error }
            // Only a pending record was there: what it named is given back; the directory goes if empty.
            Syscall.unlink(reservation.directory + "/" + ConnectionDirectory.lockName)
            if Syscall.removeDirectory(reservation.directory) { done.append("\(path) removed") }
            return done
        }
        done += try await release(connection)
        if let kept = ConnectionDirectory.remove(connection, at: path) { done.append(kept) } else { done.append("\(path) removed") }
        return done
    }

    /// Whether a provider hands over material at all.
    static func givesMaterial(_ spec: ProviderSpec) -> Bool {
        switch spec.type {
        case "vpnscript", "xmplus", "netmimic", "files", "subscription": return true
        case "json": if case .object? = spec.fields["connect"] { return true } else { return false }
        default: return false
        }
    }

    var tokenCache: TokenCache { TokenCache(path: configuration.tokenCacheFile ?? TokenCache.defaultPath()) }

    /// Now, in UTC, ISO 8601 (a label: durations use monotonic clocks).
    static func timestamp() -> String {
        UTCTime.iso8601(UTCTime.now())
    }
}
