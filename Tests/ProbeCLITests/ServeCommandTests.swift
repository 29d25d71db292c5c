import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Prober
import Synchronization
import Testing

/// `probe serve` as a user runs it: the demo's loopback servers, rounds every 200 ms, the HTTP
/// endpoints read as Prometheus and an orchestrator read them, then SIGTERM.
@Suite struct ServeCommandTests {
    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    static func get(_ url: String, headers: [String: String] = [:]) async throws -> Reply {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.timeoutInterval = 20
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields { fields[String(describing: name).lowercased()] = String(describing: value) }
        return Reply(status: http.statusCode, headers: fields, body: String(decoding: data, as: UTF8.self))
    }

    /// A loopback port nothing listens on now, for a server the test starts next.
    ///
    /// Below the kernel's ephemeral range: the suite makes thousands of outgoing loopback
    /// connections, and a port the kernel handed out (as this used to, binding port 0) can become
    /// the source port of one of them before the server binds it ("Address already in use").
    /// Never the same port twice in a run, so two tests starting servers at once never collide.
    static func freePort() throws -> UInt16 {
        let low = ephemeralLow
        for _ in 0..<500 {
            let port = UInt16.random(in: (low - 12_000)...(low - 1))
            guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
            if let listener = try? LoopbackListener(kind: .closed, host: "127.0.0.1", port: port) {
                listener.close()
                return port
            }
        }
        throw CLIRunner.CLIError("no free loopback port below \(low)")
    }

    /// The first port of /proc/sys/net/ipv4/ip_local_port_range (32768 when it cannot be read).
    static let ephemeralLow: UInt16 = {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let low = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.flatMap { UInt16($0) } ?? 32_768
        return max(low, 13_024)
    }()

    static let handedOut = Mutex<Set<UInt16>>([])

    @Test func servesMetricsTheBestAndTheReportThenStopsOnSIGTERM() async throws {
        let port = try Self.freePort()
        let base = "http://127.0.0.1:\(port)"
        let serve = try ServeProcess(["serve", "--demo", "--listen", "127.0.0.1:\(port)", "--every", "200ms", "--quiet"])
        defer { serve.kill() }
        // Ready once a round has completed (bounded: 600 tries, about 60 s).
        var ready = false
        for _ in 0..<600 {  // a guard (60 s): probe-serve is a second binary to load, slow on a loaded machine
            if let reply = try? await Self.get("\(base)/-/ready"), reply.status == 200 { ready = true; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(ready)
        #expect(try await Self.get("\(base)/-/healthy").status == 200)
        let health = try await Self.get("\(base)/healthz")
        #expect(health.status == 200 && health.body.hasPrefix("ok: the last round completed"))

        let metrics = try await Self.get("\(base)/metrics")
        #expect(metrics.status == 200 && metrics.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(metrics.body.contains("# TYPE probe_rtt_seconds histogram") && metrics.body.contains("probe_best{"))
        #expect(metrics.body.contains("process_resident_memory_bytes ") && metrics.body.contains("process_open_fds "))
        if let promtool = Self.promtool {
            let checked = try await Self.check(promtool, metrics.body)
            #expect(checked.status == 0, "promtool: \(checked.output)")
        }
        let open = try await Self.get("\(base)/metrics", headers: ["Accept": "application/openmetrics-text; version=1.0.0"])
        #expect(open.headers["content-type"]?.hasPrefix("application/openmetrics-text") == true && open.body.hasSuffix("# EOF\n"))

        let best = try await Self.get("\(base)/best")
        #expect(best.status == 200)
        let entry = try #require(try JSONSerialization.jsonObject(with: Data(best.body.utf8)) as? [String: Any])
        #expect(entry["state"] as? String == "open" && (entry["rank"] as? Int ?? 0) >= 1)  // the kept incumbent may rank second
        let etag = try #require(best.headers["etag"])
        // The same round's tag: not modified (a new round may have started since: then a new tag, 200).
        let again = try await Self.get("\(base)/best", headers: ["If-None-Match": etag])
        #expect(again.status == 304 || (again.status == 200 && again.headers["etag"] != etag))
        // A long poll on an unchanged choice ends at its timeout with 304.
        let started = ContinuousClock.now
        let polled = try await Self.get("\(base)/best?wait=500ms", headers: ["If-None-Match": try #require(again.headers["etag"] ?? Optional(etag))])
        #expect(polled.status == 304 && ContinuousClock.now - started >= .milliseconds(450))
        #expect(try await Self.get("\(base)/best?wait=soon").status == 400)

        let report = try await Self.get("\(base)/report")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.body.utf8)) as? [String: Any])
        #expect((object["ranked"] as? [Any])?.isEmpty == false)
        let page = try await Self.get(base + "/").body
        #expect(page.hasPrefix("<!DOCTYPE html>") && page.contains("<table id=\"servers\"") && page.contains("<tr data-id="))

        let status = await serve.terminate()
        #expect(status == 143, "stderr: \(serve.stderr)")
    }

    /// The orchestrator's long poll: it returns as soon as a round moves the choice (here the chosen
    /// server stops answering), not at its timeout.
    @Test func aLongPollReturnsWhenTheChoiceMoves() async throws {
        let first = try LoopbackListener(kind: .open, host: "127.0.0.1")
        let second = try LoopbackListener(kind: .open, host: "127.0.0.1")
        defer { second.close() }
        let port = try Self.freePort()
        let base = "http://127.0.0.1:\(port)"
        let serve = try ServeProcess(["serve", "--listen", "127.0.0.1:\(port)", "--every", "200ms", "--method", "tcp", "--timeout", "100",
                                      "--no-sticky", "--quiet", "127.0.0.1:\(first.address.port)", "127.0.0.1:\(second.address.port)"])
        defer { serve.kill() }
        var best: Reply?
        for _ in 0..<600 {  // a guard (60 s): probe-serve is a second binary to load, slow on a loaded machine
            if let reply = try? await Self.get("\(base)/best"), reply.status == 200 { best = reply; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let before = try #require(best)
        let chosen = try #require((try JSONSerialization.jsonObject(with: Data(before.body.utf8)) as? [String: Any])?["port"] as? Int)
        try await Task.sleep(for: .milliseconds(300))
        let stopped = ContinuousClock.now
        // The chosen server goes away: its port now refuses, the other one wins the next round.
        if chosen == Int(first.address.port) { first.close() } else { second.close() }
        // Two loopback servers are equally fast: before the close the choice may have flapped
        // between them (--no-sticky), and a poll answers each move at once. Follow the moves, as an
        // orchestrator does, until the choice is the other server (bounded: 10 polls).
        var etag = before.headers["etag"] ?? ""
        var now = chosen
        for _ in 0..<10 {
            let moved = try await Self.get("\(base)/best?wait=20s", headers: ["If-None-Match": etag])
            #expect(moved.status == 200)
            etag = moved.headers["etag"] ?? etag
            now = try #require((try JSONSerialization.jsonObject(with: Data(moved.body.utf8)) as? [String: Any])?["port"] as? Int)
            if now != chosen { break }
        }
        let waited = ContinuousClock.now - stopped
        #expect(now != chosen)
        // One 200 ms period for the next round to start, its probes, then the answer at once: well
        // before the 20 s wait ran out (usually 0.3 s; a 2-core machine running the whole suite beside
        // other load took 2 s; the simulated-network test bounds the latency itself to 100 ms).
        #expect(waited < .seconds(10), "the poll answered \(waited) after the server stopped")
        #expect(await serve.terminate() == 143)
        first.close()
    }

    /// A soak: 200 rounds at --every 50ms over 1,000 loopback targets. Resident memory and open
    /// descriptors stay flat (a sweep that kept its tables, or a socket never closed, would show).
    @Test func rssAndDescriptorsStayFlatOver200Rounds() async throws {
        let closed = try LoopbackListener(kind: .closed, host: "127.0.0.1")
        defer { closed.close() }
        let file = try CLIRunner.temporaryFile((0..<1_000).map { "127.2.\($0 / 250).\($0 % 250 + 1):\(closed.address.port)" }.joined(separator: "\n"))
        let port = try Self.freePort()
        let base = "http://127.0.0.1:\(port)"
        let serve = try ServeProcess(["serve", "--listen", "127.0.0.1:\(port)", "--every", "50ms", "--method", "tcp", "--samples", "1",
                                      "--rate", "0", "--no-sticky", "--quiet", "--targets", file.path])
        defer { serve.kill() }
        func figures() async throws -> (rounds: Double, rss: Double, fds: Double) {
            let text = try await Self.get("\(base)/metrics").body
            func value(_ name: String) -> Double {
                text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") } ?? -1
            }
            return (value("probe_rounds_total"), value("process_resident_memory_bytes"), value("process_open_fds"))
        }
        // Bounded: at most 150 s in all (about 15 s alone, 60 s beside the whole suite and two CPU
        // loads). What is asserted is flatness over at least 100 rounds, not their speed.
        var early: (rounds: Double, rss: Double, fds: Double)?
        var late: (rounds: Double, rss: Double, fds: Double)?
        let deadline = ContinuousClock.now + .seconds(150)
        while ContinuousClock.now < deadline {
            if let now = try? await figures(), now.rounds >= 0 {
                if early == nil, now.rounds >= 20 { early = now }
                if early != nil { late = now }
                if now.rounds >= 200 { break }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        let first = try #require(early), last = try #require(late)
        #expect(last.rounds - first.rounds >= 100, "only rounds \(first.rounds) to \(last.rounds) within 150 s")
        print("soak: 1,000 targets, rounds \(Int(first.rounds)) -> \(Int(last.rounds)): RSS \(Int(first.rss / 1_048_576)) -> \(Int(last.rss / 1_048_576)) MB, fds \(Int(first.fds)) -> \(Int(last.fds))")
        #expect(last.rss <= first.rss * 1.1 + 2_000_000, "RSS grew from \(first.rss) to \(last.rss)")
        #expect(abs(last.fds - first.fds) <= 8, "open descriptors went from \(first.fds) to \(last.fds)")
        #expect(await serve.terminate() == 143)
    }

    /// `probe serve` is `probe-serve` in the same process (exec, not a child), and the two binaries
    /// are one version; without `probe-serve` beside it, `probe serve` says so in one line (69).
    @Test func probeServeReplacesItselfWithProbeServe() async throws {
        let beside = CLIRunner.binary.deletingLastPathComponent().appendingPathComponent("probe-serve")
        let serveVersion = try await CLIRunner.run([], shell: "'\(beside.path)' --version")
        let version = try await CLIRunner.run(["--version"])
        #expect(serveVersion.status == 0 && serveVersion.stdout == version.stdout && !version.stdout.isEmpty)
        // The same pid runs probe-serve: `exec` in the shell keeps the pid it printed.
        let port = try Self.freePort()
        let run = try await CLIRunner.run([], shell: """
            "$PROBE" serve --demo --listen 127.0.0.1:\(port) --every 1s -q --no-sticky & pid=$!
            for i in $(seq 100); do [ "$(cat /proc/$pid/comm 2>/dev/null)" = probe-serve ] && break; sleep 0.05; done
            echo "comm $(cat /proc/$pid/comm)"; kill -TERM $pid; wait $pid; echo "status $?"
            """)
        #expect(run.stdout.contains("comm probe-serve") && run.stdout.contains("status 143"), "\(run.stdout) \(run.stderr)")
        // probe alone (copied without probe-serve): one line naming what is missing, status 69;
        // --help still answers from probe itself, with serve's flags.
        let lonely = FileManager.default.temporaryDirectory.appendingPathComponent("probe-alone-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: lonely, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: lonely) }
        try FileManager.default.copyItem(at: CLIRunner.binary, to: lonely.appendingPathComponent("probe"))
        let missing = try await CLIRunner.run([], shell: "'\(lonely.path)/probe' serve --demo")
        #expect(missing.status == 69, "\(missing.stderr)")
        #expect(missing.stderr.split(separator: "\n").count == 1 && missing.stderr.contains("probe-serve"), "\(missing.stderr)")
        let help = try await CLIRunner.run([], shell: "'\(lonely.path)/probe' serve --help")
        #expect(help.status == 0 && help.stdout.contains("--web-config") && help.stdout.contains("--max-connections"), "\(help.stdout)")
        let bad = try await CLIRunner.run([], shell: "'\(lonely.path)/probe' serve --every soon")
        #expect(bad.status == 64 && bad.stderr.contains("--every"), "flags are checked before the exec: \(bad.stderr)")
    }

    @Test(arguments: [["--listen", "localhost:80"], ["--listen", "127.0.0.1"], ["--every", "soon"], ["--buckets", "0.1,-1"]])
    func badFlagsAreOneLineUsageErrors(_ flags: [String]) async throws {
        let run = try await CLIRunner.run(["serve", "--demo"] + flags)
        #expect(run.status == 64)
        #expect(run.stderr.contains(flags[0]))
    }

    /// `probe ARGS` as a process of its own: SIGTERM to stop it, its exit status awaited off the
    /// cooperative pool.
    final class ServeProcess: @unchecked Sendable {
        let process = Process()
        let errorFile: URL

        /// `probe serve ARGUMENTS`; with `descriptorLimit`, under `ulimit -n` (the shell execs probe:
        /// the process's pid is the server's).
        init(_ arguments: [String], descriptorLimit: Int? = nil) throws {
            if let descriptorLimit {
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                let quoted = ([CLIRunner.binary.path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
                process.arguments = ["-c", "ulimit -n \(descriptorLimit) && exec " + quoted.joined(separator: " ")]
            } else {
                process.executableURL = CLIRunner.binary
                process.arguments = arguments
            }
            var environment = ProcessInfo.processInfo.environment
            environment["XDG_STATE_HOME"] = NSTemporaryDirectory() + "probe-state-\(UUID().uuidString)"
            process.environment = environment
            errorFile = try CLIRunner.temporaryFile("", name: "serve.err")
            process.standardError = try FileHandle(forWritingTo: errorFile)
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
        }

        var stderr: String { (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "" }

        /// SIGTERM, then the exit status (128 + signal when killed by one).
        func terminate() async -> Int32 {
            process.terminate()
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                Thread { [process] in
                    process.waitUntilExit()
                    continuation.resume()
                }.start()
            }
            return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        }

        func kill() { if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) } }
    }

    static let promtool: String? = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static func check(_ promtool: String, _ text: String) async throws -> (status: Int32, output: String) {
        let file = try CLIRunner.temporaryFile(text, name: "metrics.prom")
        let run = try await CLIRunner.run([], shell: "'\(promtool)' check metrics < '\(file.path)' 2>&1")
        return (run.status, run.stdout)
    }
}

/// The fleet configuration in Examples/prometheus, checked by Prometheus's own tool: the scrape
/// configuration, the recording and alerting rules, and the rules' unit tests.
@Suite(.enabled(if: ServeCommandTests.promtool != nil, "promtool is missing: install Debian's 'prometheus' package"))
struct FleetExampleTests {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Examples/prometheus")
    }

    @Test(arguments: [["check", "config", "prometheus.yml"], ["check", "rules", "probe.rules.yml"], ["test", "rules", "probe.rules.test.yml"]])
    func promtoolAccepts(_ arguments: [String]) async throws {
        let promtool = try #require(ServeCommandTests.promtool)
        let command = ([promtool] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let run = try await CLIRunner.run([], shell: "cd '\(Self.directory.path)' && \(command) 2>&1")
        #expect(run.status == 0, "\(arguments.joined(separator: " ")): \(run.stdout)")
        #expect(run.stdout.contains("SUCCESS"))
    }
}
