package import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOCore
import Logging
import ProbeCommandLine
import ProbeKit
import Synchronization

/// `probe serve --listen 127.0.0.1:9374 --every 30s ...`: rounds on the `report` schedule, the
/// latest kept in memory, served over HTTP for Prometheus and the orchestrator.
package struct ServeCommand: AsyncParsableCommand {
    /// `probe serve`'s help and flags; `probe-serve --version` is `probe --version`.
    package static let configuration = CommandConfiguration(
        commandName: "probe serve", abstract: ServeOptions.configuration.abstract, discussion: ServeOptions.configuration.discussion,
        version: ProbeClient.version)

    /// The binary's entry (not `main()`, which ArgumentParser's protocol extensions also declare):
    /// runs the command; every error is one line on stderr, with the documented exit status.
    package static func start() async {
        await CommandMain.run(Self.self)
    }

    package init() {}

    @OptionGroup var options: ServeOptions

    package func run() async throws {
        let options = self.options
        let (input, probing, ranking, connect) = (options.input, options.probing, options.ranking, options.connect)
        let (webConfig, connectDirectory, noSpread, allowedHosts, quiet) = (options.webConfig, options.connectDirectory, options.noSpread, options.allowedHosts, options.quiet)
        let (maxConnections, headerTimeout, idleTimeout, buckets) = (options.maxConnections, options.headerTimeout, options.idleTimeout, options.buckets)
        guard let listen = ServeOptions.parse(listen: options.listen), let period = DurationText.parse(options.every) else {
            throw ValidationError("bad --listen or --every")
        }
        var web: WebSettings?
        if let webConfig {
            do {
                web = try WebSettings(path: webConfig)
            } catch {
                throw ValidationError("--web-config: \(error)")
            }
        }
        let tls = web?.tlsConfiguration()
        let webSettings = web
        var prepared = try RunCommand.prepare(input: input, probing: probing, ranking: ranking, quiet: true, reloadable: true)
        defer { prepared.demo?.stop() }
        if connectDirectory != nil, !prepared.providers {
            throw ValidationError("--connect needs a providers file (--config FILE): explicit targets and --demo carry no connection material")
        }
        if !noSpread {
            // The sockets grow with the spread rate unless --max-in-flight capped them (the options'
            // growsInFlight says which: set once, where the flags become options).
            prepared.client.spread = ProbeSpread(period: period, timeoutMilliseconds: probing.timeout)
        }
        if !listen.isLoopback {
            Console.error("probe: warning: listening on \(options.listen), beyond this machine: /report and /metrics list your servers"
                + (web?.tls != true || web?.authenticates != true ? " (give --web-config FILE for TLS and basic auth)" : ""))
            if allowedHosts.isEmpty {
                Console.note("probe serve: note: clients reach it by an address, localhost or this machine's name; another name (a DNS name Prometheus scrapes by) needs --allow-host NAME", quiet: quiet)
            }
        }
        let state = ServeState(buckets: buckets.flatMap(ServeOptions.parse(buckets:)) ?? PrometheusMetrics.defaultBuckets)
        let client = prepared.client
        let snapshot = prepared.snapshot
        let reload: @Sendable (String) -> (ok: Bool, line: String) = { cause in
            var parts: [String] = []
            var failures: [String] = []
            if let snapshot {
                switch snapshot.reload() {
                case .success(let summary): parts.append(summary + "; from the next round")
                case .failure(let error): failures.append(error.message)
                }
            }
            if let web = webSettings {
                switch web.reload() {
                case .success(let summary): parts.append(summary)
                case .failure(let error): failures.append(error.description)
                }
            }
            guard failures.isEmpty else {
                let line = "reload (\(cause)) failed, keeping the previous configuration: " + failures.joined(separator: "; ")
                Console.error("probe serve: \(line)")
                return (false, line)
            }
            let line = "reloaded (\(cause)): " + (parts.isEmpty ? "nothing to reload" : parts.joined(separator: "; "))
            if !quiet { Console.error("probe serve: \(line)") }
            return (true, line)
        }
        // The soft descriptor limit (raised to the hard one at start, as nmap does), then the connection cap below it.
        let descriptors = FileDescriptorBudget.softLimit()
        let limits = ConnectionLedger.Limits(
            maxConnections: ServeGuard.connectionCap(requested: maxConnections, descriptorLimit: descriptors),
            headerTimeout: DurationText.parse(headerTimeout) ?? .seconds(10), idleTimeout: DurationText.parse(idleTimeout) ?? .seconds(60))
        var names = allowedHosts
        if !listen.isLoopback, let name = Self.hostName() { names.append(name) }
        let serveGuard = ServeGuard(limits: limits, hosts: HostRule(names: names))
        let router = Router(context: ServeContext.self)
        router.add(middleware: HostMiddleware(hosts: serveGuard.hosts))
        if let web { router.add(middleware: BasicAuthMiddleware(web: web, guard: serveGuard)) }
        // `/` reloads once a round (at least every 5 s, at most every 10 minutes).
        let refresh = max(5, min(600, Int((Double(period.components.seconds) + Double(period.components.attoseconds) / 1e18).rounded(.up))))
        Self.routes(router, state: state, guard: serveGuard, refreshSeconds: refresh, reload: reload)
        let logger = Logger(label: "probe.serve") { _ in SwiftLogNoOpLogHandler() }
        let address = BindAddress.hostname(listen.host, port: Int(listen.port))
        let settings = ApplicationConfiguration(address: address, serverName: nil, backlog: 1_024)
        let http1 = HTTP1Channel.Configuration(additionalChannelHandlers: [serveGuard.handler()])
        let scheme = tls == nil ? "http" : "https"
        let shown = listen.v6 ? "[\(listen.host)]:\(listen.port)" : "\(listen.host):\(listen.port)"
        let announce: @Sendable (any Channel) async -> Void = { [quiet] _ in
            Console.note("probe serve: listening on \(scheme)://\(shown)/ (/metrics, /best, /report, /healthz); at most \(limits.maxConnections) connections", quiet: quiet)
        }
        let application = try tls.map {
            Application(router: router, server: try .tls(.http1(configuration: http1), tlsConfiguration: $0), configuration: settings, onServerRunning: announce, logger: logger)
        } ?? Application(router: router, server: .http1(configuration: http1), configuration: settings, onServerRunning: announce, logger: logger)
        let signals = SignalWatcher(signals: [SIGINT, SIGTERM, SIGHUP])
        let connectOptions = connectDirectory.map { _ in connect.options(protocol: ranking.protocols.first) }
        let status = await withTaskGroup(of: Int32?.self) { group in
            group.addTask {
                await serveGuard.run()
                return nil
            }
            group.addTask {
                do {
                    try await application.run()
                    return nil
                } catch {
                    if error is CancellationError || Task.isCancelled { return nil }  // stopping
                    Console.error("probe serve: cannot listen on \(listen.host):\(listen.port): \(error)")
                    return ExitStatus.usage.rawValue
                }
            }
            group.addTask {
                var follower: ConnectionFollower?
                if let connectDirectory, let connectOptions { follower = ConnectionFollower(directory: connectDirectory, options: connectOptions) }
                for await round in client.rounds(every: period) {
                    var round = round
                    if case .failure(let error) = round.result {
                        if [.noTargets, .descriptorLimit].contains(error.code) || (error.code == .configuration && round.index == 0) {
                            Console.error(error.message)
                            return ExitStatus.usage.rawValue
                        }
                        if !quiet { Console.error("round \(round.index): \(error.message)") }
                    }
                    if case .success(var report) = round.result {
                        if follower != nil {
                            for line in await follower?.follow(&report, client: client) ?? [] where !quiet { Console.error("probe serve: \(line)") }
                            round.result = .success(report)
                        }
                        if !quiet { for error in report.errors { Console.error(error.description) } }
                    }
                    state.ingest(round, timestamp: WallClock.now())
                }
                return nil
            }
            group.addTask {
                while let signal = await signals.next() {
                    if signal == SIGHUP {
                        _ = reload("SIGHUP")
                        continue
                    }
                    return 128 + signal
                }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        signals.stop()
        if let status { throw ExitCode(status) }
    }

    /// The endpoints.
    static func routes(
        _ router: Router<ServeContext>, state: ServeState, guard serveGuard: ServeGuard, refreshSeconds: Int,
        reload: @escaping @Sendable (String) -> (ok: Bool, line: String)
    ) {
        @Sendable func response(_ status: HTTPResponse.Status, _ headers: HTTPFields, body: String = "") -> Response {
            Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        }
        @Sendable func text(_ status: HTTPResponse.Status, _ body: String, type: String = "text/plain; charset=utf-8") -> Response {
            response(status, [.contentType: type, .cacheControl: "no-store"], body: body)
        }
        let notYet = "no round has completed yet\n"
        router.get("/metrics") { request, _ -> Response in
            let open = PrometheusMetrics.wantsOpenMetrics(accept: request.headers[.accept])
            return text(.ok, state.metrics(openMetrics: open, process: .current()), type: PrometheusMetrics.contentType(openMetrics: open))
        }
        router.get("/best") { request, context -> Response in
            var best = state.best
            let known = request.headers[.ifNoneMatch]
            if let wait = request.uri.queryParameters["wait"].map(String.init) {
                guard let timeout = DurationText.parse(wait), timeout <= .seconds(3_600) else {
                    return text(.badRequest, "wait='\(wait)' is not a duration of at most an hour (try 30s)\n")
                }
                // At most half the connection cap waits at once (beyond, the answer comes at once), and a
                // wait ends when its client goes away: no socket is left in CLOSE-WAIT.
                let channel = context.channel
                if let waited = await serveGuard.longPoll({ await Self.wait(for: state, changedFrom: known, timeout: timeout, unless: channel) }) {
                    guard let waited else { return text(.serviceUnavailable, "the client went away\n") }
                    best = waited
                }
                // Still the choice the reader had: nothing new to send.
                if let best, let known, ServeState.generation(of: known) == best.generation {
                    return response(.notModified, [.eTag: best.etag])
                }
            }
            guard let best else { return text(.serviceUnavailable, notYet) }
            if known == best.etag { return response(.notModified, [.eTag: best.etag]) }
            return response(.ok, [.contentType: "application/json", .eTag: best.etag, .cacheControl: "no-cache"], body: best.body + "\n")
        }
        router.get("/report") { _, _ -> Response in
            guard let report = state.report else { return text(.serviceUnavailable, notYet) }
            return text(.ok, report + "\n", type: "application/json")
        }
        router.get("/healthz") { _, _ -> Response in
            guard let age = state.lastRoundAge else { return text(.serviceUnavailable, notYet) }
            return text(.ok, "ok: the last round completed \(String(format: "%.1f", age)) s ago\n")
        }
        router.get("/-/healthy") { _, _ -> Response in text(.ok, "Healthy.\n") }
        router.get("/-/ready") { _, _ -> Response in
            state.lastRoundAge == nil ? text(.serviceUnavailable, notYet) : text(.ok, "Ready.\n")
        }
        router.post("/-/reload") { _, _ -> Response in
            let (ok, line) = reload("POST /-/reload")
            return text(ok ? .ok : .internalServerError, line + "\n")
        }
        router.get("/") { _, _ -> Response in
            guard let page = state.page(refreshSeconds: refreshSeconds) else { return text(.serviceUnavailable, notYet) }
            return text(.ok, page, type: "text/html; charset=utf-8")
        }
    }
}

extension ServeCommand {
    /// The long poll's wait: the next choice (or the current one at `timeout`), or `.some(nil)`
    /// when `channel` closes first (the client left).
    static func wait(for state: ServeState, changedFrom known: String?, timeout: Duration, unless channel: any Channel) async -> ServeState.Best?? {
        await withTaskGroup(of: ServeState.Best??.self) { group in
            group.addTask { .some(await state.best(changedFrom: known, timeout: timeout)) }
            group.addTask {
                // While a request is being answered the HTTP pipeline reads nothing, so the client's
                // FIN is not seen as a read: the socket's own TCP state (CLOSE_WAIT) tells.
                while !Task.isCancelled {
                    if await Self.peerLeft(channel) { return .some(nil) }
                    try? await Task.sleep(for: .milliseconds(250))
                }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? nil
        }
    }

    /// Whether the client of `channel` has gone: the channel closed, or its socket in CLOSE_WAIT
    /// (`TCP_INFO`'s first byte, `tcpi_state`, is 8) or closing.
    static func peerLeft(_ channel: any Channel) async -> Bool {
        guard channel.isActive else { return true }
        guard let provider = channel as? any SocketOptionProvider else { return false }
        typealias Head = (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)
        let info: Head? = try? await provider.unsafeGetSocketOption(level: .init(IPPROTO_TCP), name: .init(TCP_INFO)).get()
        guard let state = info?.0 else { return false }
        // TCP_CLOSE_WAIT 8, TCP_LAST_ACK 9, TCP_CLOSE 7, TCP_CLOSING 11.
        return [7, 8, 9, 11].contains(state)
    }

    /// This machine's name (admitted as a `Host` when listening beyond loopback).
    static func hostName() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return nil }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? nil : name
    }
}

/// `Host` and `Origin` checks (DNS rebinding): a request by a name this listener is not known
/// by gets 421; a `POST` whose `Origin` is another site gets 403.
struct HostMiddleware: RouterMiddleware {
    typealias Context = ServeContext
    let hosts: HostRule

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let host = request.head.authority
        guard hosts.admits(host: host) else {
            return Self.plain(.misdirectedRequest, "this listener does not answer to \(Console.clean(String((host ?? "").prefix(100)))) (give --allow-host NAME)\n")
        }
        if request.method != .get, request.method != .head, !hosts.admits(origin: request.headers[.origin], host: host) {
            return Self.plain(.forbidden, "a request from another origin may not change this listener\n")
        }
        return try await next(request, context)
    }

    static func plain(_ status: HTTPResponse.Status, _ body: String, _ extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}

/// Basic auth from the web config: every request names a configured user and password, or gets
/// 401 with a `WWW-Authenticate` challenge (no user configured: every request passes). The
/// password check runs on a thread of its own; a source that just gave a wrong password is told
/// to wait (429 with `Retry-After`) instead of being checked again at once.
struct BasicAuthMiddleware: RouterMiddleware {
    typealias Context = ServeContext
    let web: WebSettings
    let `guard`: ServeGuard

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        switch await `guard`.authenticate(request.headers[.authorization], source: context.source, web: web) {
        case .admitted:
            return try await next(request, context)
        case .refused:
            var headers = HTTPFields()
            headers[.wwwAuthenticate] = "Basic realm=\"probe\", charset=\"UTF-8\""
            return HostMiddleware.plain(.unauthorized, "Unauthorized\n", headers)
        case .wait(let wait):
            let seconds = max(1, Int((Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18).rounded(.up)))
            return HostMiddleware.plain(.tooManyRequests, "Too many wrong passwords from this address: try again in \(seconds) s\n", [.retryAfter: String(seconds)])
        }
    }
}
