import Foundation
import Prober
import Testing

/// The defects an attack run found, and hostile input in general: each a regression test run on
/// the built binary, as a user runs it. Loopback only.
@Suite struct HostileInputTests {
    /// Regression: `( ulimit -n 10; probe --best ... )` never returned.
    @Test func aDescriptorLimitTooLowToWorkIsOneLineAndExit64() async throws {
        let run = try await CLIRunner.run([], shell: #"ulimit -n 10; exec "$PROBE" --best --no-sticky 127.0.0.1:1 127.0.0.2:1"#, timeout: 20)
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderrLines.count == 1 && run.stderr.contains("ulimit -n is 10: probe needs at least"), "\(run.stderr)")
    }

    /// Regression: at `ulimit -n 16` to `64` with 21 targets, 4 runs of 6 hung in `epoll_wait`.
    @Test(arguments: [16, 24, 32, 64])
    func aLowDescriptorLimitSlowsTheRunButItAlwaysEnds(limit: Int) async throws {
        let targets = (1...21).map { "127.0.0.\($0):1" }.joined(separator: " ")
        for _ in 0..<3 {
            let run = try await CLIRunner.run([], shell: "ulimit -n \(limit); exec \"$PROBE\" --best --no-sticky \(targets)", timeout: 20)
            #expect([0, 64].contains(run.status), "status \(run.status): \(run.stderr)")
            // Out of descriptors is named as such, never as a missing permission.
            if run.stderr.contains("ICMP") { #expect(run.stderr.contains("EMFILE") && !run.stderr.contains("setcap"), "\(run.stderr)") }
        }
    }

    /// A --max-in-flight that 'ulimit -n' cannot give: the run uses what is left and the report
    /// says so, in the JSON and in --explain (the figures the sweep used, not worked out again).
    @Test func aCapTheDescriptorLimitCannotGiveIsLoweredAndExplained() async throws {
        let targets = (1...10).map { "127.0.0.\($0):1" }.joined(separator: " ")
        let json = try await CLIRunner.run([], shell: "ulimit -n 128; exec \"$PROBE\" rank --json --method tcp --samples 1 --no-sticky --max-in-flight 500 \(targets)", timeout: 20)
        let sweep = try #require(try json.json()["sweep"] as? [String: Any], "\(json.stdout) \(json.stderr)")
        let inFlight = try #require(sweep["max_in_flight"] as? Int)
        #expect(inFlight < 128, "\(sweep)")
        #expect((sweep["max_in_flight_reason"] as? String)?.contains("500 asked") == true && (sweep["max_in_flight_reason"] as? String)?.contains("ulimit -n") == true, "\(sweep)")
        let explained = try await CLIRunner.run([], shell: "ulimit -n 128; exec \"$PROBE\" --best --explain --full --method tcp --samples 1 --no-sticky --max-in-flight 500 \(targets)", timeout: 20)
        #expect(explained.stdout.contains("in flight: at most ") && explained.stdout.contains("500 asked"), "\(explained.stdout) \(explained.stderr)")
    }

    @Test func icmpUnderALowDescriptorLimitNamesTheRealCause() async throws {
        // Enough descriptors to start, too few for the ICMP socket beside the reactor.
        for limit in 14...20 {
            let run = try await CLIRunner.run([], shell: "ulimit -n \(limit); exec \"$PROBE\" --best --no-sticky --method icmp 127.0.0.1", timeout: 20)
            #expect([0, 64].contains(run.status), "limit \(limit): \(run.status) \(run.stderr)")
            if run.status == 64 {
                #expect(run.stderrLines.count == 1 && (run.stderr.contains("EMFILE") || run.stderr.contains("ulimit -n is")), "\(run.stderr)")
                #expect(!run.stderr.contains("setcap") && !run.stderr.contains("ping_group_range"))
            }
        }
    }

    /// Regression: 20 addresses answering ping with port 443 closed and one open: `--best` picked a
    /// closed one, never TCP-probed, while `--full` and `rank` picked the open one.
    @Test func theEarlyAnswerNeverPicksAServerWhosePortIsClosed() async throws {
        let open = try LoopbackListener(kind: .open, host: "127.0.0.5")
        defer { open.close() }
        let port = open.address.port
        let targets = (1...21).map { "127.0.0.\($0):\(port)" }
        for _ in 0..<3 {
            let run = try await CLIRunner.run(["--best", "--no-sticky", "--json"] + targets)
            #expect(run.status == 0, "\(run.stderr)")
            let best = try #require(try run.json()["best"] as? [String: Any])
            #expect(best["target"] as? String == "127.0.0.5:\(port)" && best["state"] as? String == "open", "\(best)")
        }
    }

    @Test(arguments: [">&-", "> /dev/full"])
    func anUnwritableStdoutIsOneLineAndExit74(redirect: String) async throws {
        let directory = try CLIRunner.temporaryFile("", name: "placeholder").deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: directory) }
        let state = directory.appendingPathComponent("state.json").path
        let run = try await CLIRunner.run([], shell: "\"$PROBE\" --best --json --state '\(state)' 127.0.0.1:1 \(redirect)")
        #expect(run.status == 74, "\(run.stderr)")
        #expect(run.stderrLines.count == 1 && run.stderr.hasPrefix("probe: cannot write to standard output: "), "\(run.stderr)")
        // What was written before stays intact.
        let saved = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: state))) as? [String: Any]
        #expect(saved?["choice"] as? String == "127.0.0.1:1")
    }

    @Test func aHostileTargetsFileLosesOnlyItsBadLines() async throws {
        var bytes = Array("127.0.0.1:1\n127.0.0.2:1 # a comment\n".utf8)
        bytes += [0xFF, 0xFE, 0x3A, 0x34, 0x0A]  // invalid UTF-8
        bytes += Array("bad\u{0}host\n".utf8)
        bytes += Array(repeating: UInt8(ascii: "a"), count: 1 << 20) + [0x0A]  // a 1 MB line
        bytes += Array("127.0.0.1:1\n127.0.0.3:0\n127.0.0.3:65536\n127.0.0.3:-1\n[fe80::1%nosuchif]:443\n\u{1B}]0;pwned\u{7}:1\n".utf8)
        // 100,000 more lines, all duplicates: each is an error, the first 100 listed, the rest counted.
        bytes += Array(String(repeating: "127.0.0.2:1\n", count: 100_000).utf8)
        let file = try CLIRunner.temporaryFile("", name: "targets.txt")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        try Data(bytes).write(to: file)
        let run = try await CLIRunner.run(["rank", "--json", "--no-sticky", "--method", "tcp", "--targets", file.path])
        #expect(run.status == 0, "\(run.stderr.prefix(500))")
        let report = try run.json()
        let ranked = try #require(report["ranked"] as? [[String: Any]])
        #expect(ranked.count == 2)
        let errors = try #require(report["errors"] as? [[String: String]])
        let sources = errors.compactMap { $0["source"] }
        #expect(Array(sources.prefix(9)) == (3...11).map { "\(file.path):\($0)" }, "\(sources.prefix(12))")
        #expect(sources.count == 101 && sources.last == file.path)
        #expect(errors.last?["message"] == "\(100_000 - 91) more bad lines not listed")
        let messages = errors.compactMap { $0["message"] }
        #expect(messages[0].contains("not UTF-8") && messages[1].contains("NUL") && messages[2].contains("line too long"))
        #expect(messages[3].contains("duplicate of line 1"))
        // Quoted input is escaped and short: no terminal escapes, no megabyte echoes.
        #expect(!run.stderr.contains("\u{1B}") && !run.stderr.contains("\u{7}") && run.stderr.utf8.count < 20_000, "\(run.stderr.prefix(500))")
        #expect(run.stderr.contains(#"\u{1B}]0;pwned\u{7}"#))
    }

    @Test(arguments: [
        (#"exec "$PROBE" --best --no-sticky --targets <(echo 127.0.0.1:1)"#, 0),
        (#"mkfifo "$D/fifo"; (echo 127.0.0.1:1 > "$D/fifo" &); exec "$PROBE" --best --no-sticky --targets "$D/fifo""#, 0),
        (#"echo 127.0.0.1:1 | exec "$PROBE" --best --no-sticky --targets -"#, 0),
        (#"exec "$PROBE" --best --no-sticky --targets /dev/null"#, 64),
        (#"exec "$PROBE" --best --no-sticky --targets "$D""#, 64),
    ])
    func targetsFromPipesAndFIFOsAreReadAsStreams(script: String, status: Int32) async throws {
        let directory = try CLIRunner.temporaryFile("", name: "placeholder").deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try await CLIRunner.run([], shell: "D='\(directory.path)' exec bash -c '\(script.replacingOccurrences(of: "'", with: "'\\''"))'")
        #expect(run.status == status, "\(run.stderr)")
        if status == 0 { #expect(run.stdout.hasPrefix("best: 127.0.0.1:1")) }
        if status == 64 { #expect(run.stderrLines.count == 1, "\(run.stderr)") }
        #expect(!run.stderr.contains("permission denied"))
    }

    @Test func aStateFileThatIsASymlinkIsReplacedNeverWrittenThrough() async throws {
        let directory = try CLIRunner.temporaryFile("", name: "victim").deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: directory) }
        let victim = directory.appendingPathComponent("victim")
        try "precious\n".write(to: victim, atomically: true, encoding: .utf8)
        let link = directory.appendingPathComponent("state.json")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: victim)
        let run = try await CLIRunner.run(["--best", "--state", link.path, "127.0.0.1:1"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try String(contentsOf: victim, encoding: .utf8) == "precious\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: link.path)
        #expect(attributes[.type] as? FileAttributeType == .typeRegular)
        #expect(attributes[.posixPermissions] as? Int == 0o600)
    }

    @Test func twoProcessesSavingOneStateFileLoseNeitherUpdate() async throws {
        let directory = try CLIRunner.temporaryFile("", name: "placeholder").deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: directory) }
        let state = directory.appendingPathComponent("state.json").path
        // Eight processes at once (started from here: a shell's `wait` can hang under Foundation's Process).
        let statuses = try await withThrowingTaskGroup(of: Int32.self) { group in
            for index in 1...8 {
                group.addTask { try await CLIRunner.run(["--best", "-q", "--state", state, "127.0.0.\(index):1"], queued: false).status }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 0, count: 8))
        let saved = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: state))) as? [String: Any]
        let history = try #require(saved?["history"] as? [String: Any])
        #expect(Set(history.keys) == Set((1...8).map { "127.0.0.\($0):1" }), "\(history.keys.sorted())")
    }

    @Test func reportExitsNonZeroWhenNoRoundCouldBeWrittenAndTwoRunsShareAFile() async throws {
        let directory = try CLIRunner.temporaryFile("", name: "placeholder").deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: directory) }
        let blocked = directory.appendingPathComponent("blocked.jsonl")
        try FileManager.default.createDirectory(at: blocked, withIntermediateDirectories: true)
        let failed = try await CLIRunner.run(["report", "--every", "300ms", "--count", "2", "--no-sticky", "--output", blocked.path, "127.0.0.1:1"])
        #expect(failed.status == 74, "\(failed.stderr)")
        // One line per round (a busy machine may also skip a round, and say so).
        let unwritten = failed.stderrLines.filter { $0.contains("not written") && $0.contains("it is a directory") }
        #expect(!unwritten.isEmpty && failed.stderrLines.allSatisfy { $0.contains("not written") || $0.contains("skipped") }, "\(failed.stderr)")
        // Two runs writing one file at once: every round of both is in it.
        let shared = directory.appendingPathComponent("shared.jsonl").path
        let statuses = try await withThrowingTaskGroup(of: Int32.self) { group in
            for index in 1...2 {
                group.addTask {
                    try await CLIRunner.run(["report", "--every", "30ms", "--count", "6", "--no-sticky", "--output", shared, "127.0.0.\(index):1"], queued: false).status
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses == [0, 0])
        let lines = try String(contentsOfFile: shared, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 12, "\(lines.count) rounds")
        // No providers and no targets is bad usage, not a failure of the run.
        let config = directory.appendingPathComponent("empty.json")
        try #"{"providers": []}"#.write(to: config, atomically: true, encoding: .utf8)
        for arguments in [["--best", "--config", config.path], ["report", "--every", "1s", "--config", config.path]] {
            let empty = try await CLIRunner.run(arguments)
            #expect(empty.status == 64 && empty.stderrLines.count == 1 && empty.stderr.contains("lists no provider"), "\(empty.stderr)")
        }
    }

    /// A server entry of the wrong shape costs that entry only: one line names it, the others of
    /// the same provider are ranked, and `--json` lists it among the errors.
    @Test func aServerEntryOfTheWrongShapeCostsOnlyThatEntry() async throws {
        let open = try LoopbackListener(kind: .open, host: "127.0.0.1")
        defer { open.close() }
        let list = try CLIRunner.temporaryFile(#"""
            [{"host": "127.0.0.1", "port": \#(open.address.port), "name": "good"},
             {"host": {"evil": true}, "port": 443}, {"host": "127.0.0.1", "port": "\u001b[2Jhttps"},
             {"host": "127.0.0.1", "port": \#(open.address.port), "name": "odd figure", "load": "high"}]
            """#, name: "servers.json")
        let config = list.deletingLastPathComponent().appendingPathComponent("config.json")
        try #"{"providers": [{"type": "static", "name": "mine", "path": "servers.json"}]}"#.write(to: config, atomically: true, encoding: .utf8)
        let human = try await CLIRunner.run(["--best", "--config", config.path, "--method", "tcp", "--no-sticky"])
        #expect(human.status == 0)
        #expect(human.stdout.hasPrefix("best: "))
        #expect(human.stderr.contains("server #2: 'host' is an object, not a host name or address: skipped"))
        #expect(human.stderr.contains(#"server #3 (127.0.0.1): 'port' '\u{1B}[2Jhttps' is not a port number (1-65535): skipped"#))
        #expect(human.stderr.contains("server #4 (127.0.0.1): 'load' 'high' is not a number: ignored"))
        #expect(!human.stderr.contains("\u{1B}"))
        let json = try await CLIRunner.run(["--best", "--config", config.path, "--method", "tcp", "--no-sticky", "--json"])
        let errors = try #require(try json.json()["errors"] as? [[String: String]])
        #expect(errors.filter { $0["source"] == "mine" }.count == 3)
    }

    /// A duration beyond any clock once trapped converting to Int64: now one line, exit 64.
    @Test(arguments: ["1e300", "99999999999999999999", "inf"])
    func aHugeDurationIsOneLine(_ every: String) async throws {
        let run = try await CLIRunner.run(["report", "--every", every, "--count", "1", "127.0.0.1:1"])
        #expect(run.status == 64 && run.stderrLines.count <= 2 && run.stderr.contains("is not a duration"), "\(run.stderr)")
    }

    /// A provider's server listed without a port: `-q` never prints a guessed port, JSON says
    /// which port was probed and which is the service's, and TCP alone does not knock on 443.
    @Test func aServerWithoutAPortIsNeverGivenAGuessedOne() async throws {
        let open = try LoopbackListener(kind: .open, host: "127.0.0.1")
        defer { open.close() }
        let list = try CLIRunner.temporaryFile("host,port,name\n127.0.0.1,\(open.address.port),with port\n127.0.0.9,,no port\n", name: "servers.csv")
        let config = list.deletingLastPathComponent().appendingPathComponent("config.json")
        try #"{"providers": [{"type": "static", "name": "mine", "path": "servers.csv"}]}"#.write(to: config, atomically: true, encoding: .utf8)
        let tcp = try await CLIRunner.run(["rank", "--config", config.path, "--method", "tcp", "--json", "--no-sticky"])
        let ranked = try #require(try tcp.json()["ranked"] as? [[String: Any]])
        let portless = try #require(ranked.first { ($0["server"] as? [String: Any])?["name"] as? String == "no port" })
        #expect(portless["state"] as? String == "unmeasurable" && portless["sent"] as? Int == 0, "\(portless)")
        #expect(portless["service_port"] is NSNull && portless["score"] is NSNull)
        let withPort = try #require(ranked.first { ($0["server"] as? [String: Any])?["name"] as? String == "with port" })
        #expect(withPort["service_port"] as? Int == Int(open.address.port))
        #expect(tcp.stderr.contains("1 server(s) list no port and TCP alone was used"), "\(tcp.stderr)")
        // Only the portless one, pinged: -q prints its host alone.
        let only = try CLIRunner.temporaryFile("host,name\n127.0.0.1,pinged\n", name: "servers.csv")
        let onlyConfig = only.deletingLastPathComponent().appendingPathComponent("config.json")
        try #"{"providers": [{"type": "static", "name": "mine", "path": "servers.csv"}]}"#.write(to: onlyConfig, atomically: true, encoding: .utf8)
        let quiet = try await CLIRunner.run(["--best", "-q", "--config", onlyConfig.path, "--method", "icmp", "--no-sticky"])
        if quiet.status == 0 {
            #expect(quiet.stdout == "127.0.0.1\n", "\(quiet.stdout)")
            let human = try await CLIRunner.run(["--best", "--config", onlyConfig.path, "--method", "icmp", "--no-sticky"])
            #expect(human.stdout.hasPrefix("best: pinged (127.0.0.1, mine)"), "\(human.stdout)")
        } else {
            #expect(quiet.status == 77)  // no ICMP permission here: the rest was checked above
        }
    }
}
