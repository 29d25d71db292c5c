import ArgumentParser
import FlyingFox
import FlyingSocks
import Foundation
import ProbeKit
import Synchronization

/// `probe serve --listen 127.0.0.1:9374 --every 30s ...`: rounds on the `report` schedule, the
/// latest kept in memory, served over HTTP for Prometheus and the orchestrator.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Probe every period and serve the results: /metrics for Prometheus, /best for an orchestrator.",
        discussion: """
            GET /metrics (Prometheus text, or OpenMetrics when the scraper asks for it), /best (the \
            current choice as the --json entry; ETag per round, 304 on If-None-Match; ?wait=30s waits \
            until the choice changes), /report (the latest round as --json), /healthz, /-/healthy, \
            /-/ready, / (the HTML report). Rounds run as `report` runs them (an overrun round's \
            successors are skipped). Binds loopback by default. SIGINT and SIGTERM stop it: exit 130 and 143.
            """)

    @Option(help: ArgumentHelp("Address and port to listen on: 127.0.0.1:9374, [::1]:9374, 0.0.0.0:9374.", valueName: "HOST:PORT"))
    var listen = "127.0.0.1:9374"

    @Option(help: ArgumentHelp("Time between rounds: 30s, 5m, 500ms.", valueName: "DURATION"))
    var every = "30s"

    @Option(help: ArgumentHelp(
        "Histogram bucket bounds in seconds, comma-separated (default: 50 µs doubling to 26 s, as smokeping_prober).",
        valueName: "SECONDS,..."))
    var buckets: String?

    @Flag(name: [.short, .long], help: "No notes or per-round errors on stderr.")
    var quiet = false

    @OptionGroup var input: TargetInput
    @OptionGroup var probing: ProbingOptions
    @OptionGroup var ranking: RankingOptions

    /// The listen address, parsed.
    struct Listen: Equatable {
        var host: String
        var port: UInt16
        var v6: Bool
        var isLoopback: Bool { v6 ? host == "::1" : host.hasPrefix("127.") }
    }

    static func parse(listen text: String) -> Listen? {
        var host: Substring
        var port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        guard let number = UInt16(port), number > 0 else { return nil }
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, String(host), &v4) == 1 { return Listen(host: String(host), port: number, v6: false) }
        if inet_pton(AF_INET6, String(host), &v6) == 1 { return Listen(host: String(host), port: number, v6: true) }
        return nil
    }

    static func parse(buckets text: String) -> [Double]? {
        let values = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0.map { $0.isFinite && $0 > 0 } ?? false }) else { return nil }
        return values.compactMap { $0 }
    }

    func validate() throws {
        guard Self.parse(listen: listen) != nil else {
            throw ValidationError("--listen '\(listen)' is not HOST:PORT with a numeric address (127.0.0.1:9374, [::1]:9374)")
        }
        guard let period = DurationText.parse(every) else { throw ValidationError("--every '\(every)' is not a duration (try 30s, 5m or 500ms)") }
        guard period >= .milliseconds(10), period <= .seconds(7 * 86_400) else {
            throw ValidationError("--every must be between 10ms and 7 days, got '\(every)'")
        }
        if let buckets, Self.parse(buckets: buckets) == nil {
            throw ValidationError("--buckets '\(buckets)' is not a comma-separated list of positive seconds (0.001,0.01,0.1)")
        }
    }

    func run() async throws {
        guard let listen = Self.parse(listen: listen), let period = DurationText.parse(every) else { throw ValidationError("bad --listen or --every") }
        let prepared = try RunCommand.prepare(input: input, probing: probing, ranking: ranking, quiet: true)
        defer { prepared.demo?.stop() }
        if !listen.isLoopback {
            Console.error("probe: warning: listening on \(self.listen), beyond this machine: /report and /metrics list your servers")
        }
        let state = ServeState(buckets: buckets.flatMap(Self.parse(buckets:)) ?? PrometheusMetrics.defaultBuckets)
        let server = listen.v6
            ? HTTPServer(address: try sockaddr_in6.inet6(ip6: listen.host, port: listen.port), timeout: 60, logger: .disabled)
            : HTTPServer(address: try sockaddr_in.inet(ip4: listen.host, port: listen.port), timeout: 60, logger: .disabled)
        await Self.routes(server, state: state)
        let signals = SignalWatcher(signals: [SIGINT, SIGTERM])
        let quiet = quiet
        let stopping = StopFlag()
        let status = await withTaskGroup(of: Int32?.self) { group in
            group.addTask {
                do {
                    try await server.run()
                    return nil
                } catch {
                    if stopping.isSet || error is CancellationError || Task.isCancelled { return nil }  // stopping
                    Console.error("probe serve: cannot listen on \(listen.host):\(listen.port): \(error)")
                    return ExitStatus.usage.rawValue
                }
            }
            group.addTask {
                for await round in prepared.client.rounds(every: period) {
                    if case .failure(let error) = round.result {
                        if [.noTargets, .configuration, .descriptorLimit].contains(error.code) {
                            Console.error(error.message)
                            return ExitStatus.usage.rawValue
                        }
                        if !quiet { Console.error("round \(round.index): \(error.message)") }
                    }
                    if case .success(let report) = round.result, !quiet {
                        for error in report.errors { Console.error(error.description) }
                    }
                    state.ingest(round, timestamp: WallClock.now())
                }
                return nil
            }
            group.addTask { await signals.next().map { 128 + $0 } }
            let first = await group.next() ?? nil
            stopping.set()
            await server.stop(timeout: 1)
            group.cancelAll()
            return first
        }
        signals.stop()
        if let status { throw ExitCode(status) }
    }

    /// The endpoints.
    static func routes(_ server: HTTPServer, state: ServeState) async {
        @Sendable func response(_ status: HTTPStatusCode, _ fields: [(HTTPHeader, String)], body: String = "") -> HTTPResponse {
            var headers = HTTPHeaders()
            for (name, value) in fields { headers[name] = value }
            return HTTPResponse(statusCode: status, headers: headers, body: Data(body.utf8))
        }
        @Sendable func text(_ status: HTTPStatusCode, _ body: String, type: String = "text/plain; charset=utf-8") -> HTTPResponse {
            response(status, [(.contentType, type), (.cacheControl, "no-store")], body: body)
        }
        let notYet = "no round has completed yet\n"
        await server.appendRoute("GET /metrics") { request in
            let open = PrometheusMetrics.wantsOpenMetrics(accept: request.headers[HTTPHeader("Accept")])
            return text(.ok, state.metrics(openMetrics: open, process: .current()), type: PrometheusMetrics.contentType(openMetrics: open))
        }
        await server.appendRoute("GET /best") { request in
            var best = state.best
            let known = request.headers[.ifNoneMatch]
            if let wait = request.query["wait"] {
                guard let timeout = DurationText.parse(wait), timeout <= .seconds(3_600) else {
                    return text(.badRequest, "wait='\(wait)' is not a duration of at most an hour (try 30s)\n")
                }
                best = await state.best(changedFrom: known, timeout: timeout)
                // Still the choice the reader had: nothing new to send.
                if let best, let known, ServeState.generation(of: known) == best.generation {
                    return response(.notModified, [(.eTag, best.etag)])
                }
            }
            guard let best else { return text(.serviceUnavailable, notYet) }
            if known == best.etag { return response(.notModified, [(.eTag, best.etag)]) }
            return response(.ok, [(.contentType, "application/json"), (.eTag, best.etag), (.cacheControl, "no-cache")], body: best.body + "\n")
        }
        await server.appendRoute("GET /report") { _ in
            guard let report = state.report else { return text(.serviceUnavailable, notYet) }
            return text(.ok, report + "\n", type: "application/json")
        }
        await server.appendRoute("GET /healthz") { _ in
            guard let age = state.lastRoundAge else { return text(.serviceUnavailable, notYet) }
            return text(.ok, "ok: the last round completed \(String(format: "%.1f", age)) s ago\n")
        }
        await server.appendRoute("GET /-/healthy") { _ in text(.ok, "Healthy.\n") }
        await server.appendRoute("GET /-/ready") { _ in
            state.lastRoundAge == nil ? text(.serviceUnavailable, notYet) : text(.ok, "Ready.\n")
        }
        await server.appendRoute("GET /") { _ in
            guard let page = state.page else { return text(.serviceUnavailable, notYet) }
            return text(.ok, page, type: "text/html; charset=utf-8")
        }
    }
}

/// Set once the server is being stopped: its `run()` then ends with an error that is no failure.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}
