import Foundation
import Testing
import Prober

/// The built `probe` binary, run as a user runs it.
@Suite struct ProbeCLITests {
    static let entryKeys = ["target", "host", "address", "port", "method", "reachable", "state", "sent", "received",
                            "loss", "rtt_ms", "dns_ms", "timing", "score"]

    @Test func demoPrintsTheBestInOneLine() async throws {
        let run = try await CLIRunner.run(["--best", "--demo"])
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        // The demo's servers come from sample answers of the four provider kinds.
        #expect(lines.first?.hasPrefix("best: ") == true)
        #expect(lines.first?.contains(", demo-") == true)
        #expect(lines.first?.contains("open, tcp") == true)
        #expect(run.stderr.contains("demo:"))
    }

    /// Every probe of the early answer final the moment it starts (refusals on loopback are known
    /// when connect returns): the finalists handed over meanwhile must still be measured, not
    /// wait for a wake-up that was read during the burst (this hung before).
    @Test func anEarlyAnswerWhoseProbesAllEndAtOnceStillFinishes() async throws {
        let closed = try LoopbackListener(kind: .closed, host: "127.0.0.1")
        defer { closed.close() }
        let lines = (0..<6_000).map { "127.1.\($0 / 250).\($0 % 250 + 1):\(closed.address.port)" }
        let file = try CLIRunner.temporaryFile(lines.joined(separator: "\n"))
        let run = try await CLIRunner.run(["--best", "--method", "tcp", "--rate", "0", "--samples", "1", "--no-sticky", "--targets", file.path, "--json"], timeout: 60)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let object = try run.json()
        #expect((object["ranked"] as? [Any])?.count == 6_000)
        #expect((object["best"] as? [String: Any])?["state"] as? String == "refused")
    }

    @Test func jsonFollowsTheDocumentedSchema() async throws {
        let run = try await CLIRunner.run(["--best", "--full", "--demo", "--json"])
        #expect(run.status == 0)
        let object = try run.json()
        let best = try #require(object["best"] as? [String: Any])
        let ranked = try #require(object["ranked"] as? [[String: Any]])
        #expect(object["errors"] as? [Any] != nil)
        #expect(object["elapsed_ms"] as? Double != nil)
        #expect(ranked.count >= 5)
        #expect(object["notes"] == nil)  // loopback handshakes are fast, not a middlebox
        for entry in ranked {
            for key in Self.entryKeys { #expect(entry.keys.contains(key), "missing key \(key)") }
        }
        #expect(best["state"] as? String == "open")
        #expect(best["method"] as? String == "tcp")
        #expect(best["timing"] as? String == "kernel")
        let rtt = try #require(best["rtt_ms"] as? [String: Double])
        #expect(Set(rtt.keys) == ["min", "median", "mean", "p90", "max", "stddev", "jitter"])
        #expect(ranked.first?["target"] as? String == best["target"] as? String)
        let states = ranked.compactMap { $0["state"] as? String }
        #expect(states.filter { $0 == "refused" }.count == 2)
        // Up (open, or alive: the demo's WireGuard server, a UDP service, is measured by ICMP) ranks above refused.
        #expect(Array(states.prefix(states.count - 2)).allSatisfy { $0 == "open" || $0 == "alive" })
    }

    @Test func rankPrintsAnAlignedTable() async throws {
        let run = try await CLIRunner.run(["rank", "--demo"])
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let header = try #require(lines.first)
        #expect(header.hasPrefix("#  SERVER"))
        #expect(header.contains("TARGET"))
        let rows = lines.dropFirst().filter { $0.first?.isNumber == true }
        #expect(rows.count >= 5)
        // Aligned: the STATE column starts at the same offset on every row.
        let stateColumn = try #require(header.range(of: "STATE")).lowerBound.utf16Offset(in: header)
        for row in rows {
            let cell = row.dropFirst(stateColumn).prefix(4)
            #expect(["open", "refu", "aliv"].contains(String(cell)), "row: \(row)")  // aliv: the demo's WireGuard server, by ICMP
        }
    }

    @Test func rankFitsAnEightyColumnTerminalCuttingNamesNotNumbers() async throws {
        let run = try await CLIRunner.run([], shell: "COLUMNS=80 '\(CLIRunner.binary.path)' rank --demo --no-sticky")
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { $0.count <= 80 }, "\(run.stdout)")
        let header = try #require(lines.first)
        for column in ["#", "SERVER", "STATE", "LOSS", "MEDIAN", "P90", "SCORE"] { #expect(header.contains(column), "\(header)") }
        #expect(!header.contains("ADDRESS"), "the least useful columns give way first")
        // Numbers whole (three decimals), names cut with an ellipsis; no colour when stdout is not a terminal.
        #expect(lines.dropFirst().filter { $0.first?.isNumber == true }.allSatisfy { $0.range(of: #"\d\.\d{3}$"#, options: .regularExpression) != nil })
        #expect(run.stdout.contains("…") && !run.stdout.contains("\u{1B}["))
    }

    @Test func rankColoursStatesOnATerminalUnlessNoColor() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return }
        let command = "'\(CLIRunner.binary.path)' rank --demo --no-sticky -q"
        let coloured = try await CLIRunner.run([], shell: "env -u NO_COLOR COLUMNS=100 TERM=xterm script -qec \"\(command)\" /dev/null")
        #expect(coloured.stdout.contains("\u{1B}[32mopen"), "\(coloured.stdout.debugDescription)")
        let plain = try await CLIRunner.run([], shell: "COLUMNS=100 TERM=xterm NO_COLOR=1 script -qec \"\(command)\" /dev/null")
        #expect(plain.stdout.contains("open") && !plain.stdout.contains("\u{1B}[32m"))
    }

    @Test func quietBestPrintsOnlyTheTarget() async throws {
        let run = try await CLIRunner.run(["--best", "--demo", "--quiet"])
        #expect(run.status == 0)
        #expect(run.stderr.isEmpty)
        let target = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try ProbeTarget(parsing: target).port > 0)
    }

    /// `probe --best` with nothing configured runs the main job on the built-in default (the demo)
    /// and says how to probe one's own servers.
    @Test func nothingConfiguredRunsTheBuiltInDefault() async throws {
        let home = NSTemporaryDirectory() + "probe-home-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: home) }
        let run = try await CLIRunner.run([], shell: "HOME='\(home)' XDG_CONFIG_HOME='\(home)/.config' \"$PROBE\" --best")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("best: "))
        #expect(run.stderr.contains("nothing configured") && run.stderr.contains("--targets FILE") && run.stderr.contains("--config FILE"))
    }

    @Test func noTargetsSaysWhatToGiveInOneLine() async throws {
        let run = try await CLIRunner.run(["--best", "--targets", "/dev/null"])
        #expect(run.status == 64)
        #expect(run.stdout.isEmpty)
        #expect(run.stderrLines.count == 1, "\(run.stderr)")
    }

    @Test(arguments: [
        (["--best", "--samples", "abc", "127.0.0.1"], "--samples"),
        (["--best", "--timeout", "0", "127.0.0.1"], "--timeout"),
        (["--best", "--max-in-flight", "-3", "127.0.0.1"], "max-in-flight"),
        (["--best", "--rate", "-1", "127.0.0.1"], "--rate"),
        (["--best", "--method", "carrier-pigeon", "127.0.0.1"], "--method"),
        (["--best", "--no-such-flag"], "--no-such-flag"),
    ])
    func badFlagsGetOneLineAndStatus64(arguments: [String], names: String) async throws {
        let run = try await CLIRunner.run(arguments)
        #expect(run.status == 64)
        #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
        #expect(run.stderr.contains(names))
    }

    @Test func badLinesInATargetsFileAreNamedAndTheRestIsProbed() async throws {
        let listener = try LoopbackListener(kind: .open, host: "127.0.0.1")
        defer { listener.close() }
        let file = try CLIRunner.temporaryFile("""
            # servers
            
            127.0.0.1:\(listener.address.port)   # the open one
            bad host
            127.0.0.1:99999
            """)
        let run = try await CLIRunner.run(["--best", "--targets", file.path, "--json"])
        #expect(run.status == 0)
        let object = try run.json()
        let errors = try #require(object["errors"] as? [[String: String]])
        #expect(errors.map { $0["source"] ?? "" } == ["\(file.path):4", "\(file.path):5"])
        #expect(errors[1]["message"]?.contains("99999") == true)
        #expect((object["ranked"] as? [Any])?.count == 1)
        #expect(run.stderrLines.count == 2)
    }

    @Test func unreadableTargetsFileIsOneLine() async throws {
        let run = try await CLIRunner.run(["--best", "--targets", "/nonexistent/targets.txt"])
        #expect(run.status == 64)
        #expect(run.stderrLines.count == 1)
        #expect(run.stderr.contains("/nonexistent/targets.txt"))
    }

    @Test func nothingReachableExitsWith2() async throws {
        let silent = try LoopbackListener(kind: .unresponsive, host: "127.0.0.1")
        defer { silent.close() }
        let run = try await CLIRunner.run(["--best", "127.0.0.1:\(silent.address.port)", "--method", "tcp", "--timeout", "100", "--samples", "1", "--json"])
        #expect(run.status == 2)
        let object = try run.json()
        #expect(object["best"] is NSNull)
        #expect((object["ranked"] as? [[String: Any]])?.first?["state"] as? String == "timeout")
    }

    @Test func localhostIsResolvedOnceAndTimedApart() async throws {
        let listener = try LoopbackListener(kind: .open, host: "127.0.0.1")
        defer { listener.close() }
        let run = try await CLIRunner.run(["--best", "localhost:\(listener.address.port)", "--json"])
        let best = try #require(try run.json()["best"] as? [String: Any])
        #expect(best["host"] as? String == "localhost")
        #expect(best["dns_ms"] as? Double != nil)
    }

    @Test func aLowFileLimitSlowsTheRunButNoTargetFails() async throws {
        // 300 closed ports on 127.2.x.y, with 40 descriptors in all and --max-in-flight 256.
        let lines = (0..<300).map { "127.2.\($0 / 250).\($0 % 250 + 1):9" }.joined(separator: "\n")
        let file = try CLIRunner.temporaryFile(lines)
        let run = try await CLIRunner.run([], shell: "ulimit -n 40 && exec \"$PROBE\" rank --method tcp --targets '\(file.path)' --json --samples 2")
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let ranked = try #require(try run.json()["ranked"] as? [[String: Any]])
        #expect(ranked.count == 300)
        #expect(ranked.allSatisfy { $0["state"] as? String == "refused" })
    }
}

extension ProbeCLITests {
    @Test func providersFromAConfigFileMixWithFailures() async throws {
        let open = try LoopbackListener(kind: .open, host: "127.0.0.1")
        defer { open.close() }
        let list = try CLIRunner.temporaryFile("host,port,name,country\n127.0.0.1,\(open.address.port),Local open,DE\n127.0.0.6,9,Closed,NL\n", name: "servers.csv")
        let config = list.deletingLastPathComponent().appendingPathComponent("config.json")
        try #"""
            {"providers": [
              {"type": "static", "name": "mine", "path": "servers.csv"},
              {"type": "static", "name": "gone", "path": "missing.json"},
              {"type": "vpnscript", "name": "vs", "url": "http://127.0.0.1:9", "username": "me", "password": "env:PROBE_TEST_NEVER_SET"}
            ]}
            """#.write(to: config, atomically: true, encoding: .utf8)
        let run = try await CLIRunner.run(["--best", "--config", config.path, "--method", "tcp", "--json"])
        #expect(run.status == 0)
        let object = try run.json()
        let best = try #require(object["best"] as? [String: Any])
        let server = try #require(best["server"] as? [String: Any])
        #expect(server["name"] as? String == "Local open" && server["provider"] as? String == "mine" && server["country"] as? String == "DE")
        let errors = try #require(object["errors"] as? [[String: String]])
        #expect(Set(errors.map { $0["source"] ?? "" }) == ["gone", "vs"])
        #expect(errors.first { $0["source"] == "vs" }?["message"] == "password: environment variable PROBE_TEST_NEVER_SET is not set")
        let human = try await CLIRunner.run(["--best", "--config", config.path, "--method", "tcp"])
        #expect(human.stdout.hasPrefix("best: Local open (127.0.0.1:\(open.address.port), mine, DE)"))
        let bad = try CLIRunner.temporaryFile(#"{"providers":[{"type":"carrier-pigeon","name":"x"}]}"#, name: "bad.json")
        let refused = try await CLIRunner.run(["--best", "--config", bad.path])
        #expect(refused.status == 64 && refused.stderrLines.count == 1 && refused.stderr.contains("provider 'x': unknown type 'carrier-pigeon'"))
    }

    /// `--explain` reads the early answer's figures from the report (issue 28): the cutoff's rule
    /// and what a finalist waited, here cut to the run's own 20 ms timeout (the rule alone would
    /// say 30 ms), in the JSON and in the explanation alike.
    @Test func theExplanationReadsTheFiguresTheRunUsed() async throws {
        let json = try await CLIRunner.run(["--best", "--demo", "--timeout", "20", "--json", "-q"])
        let early = try #require(try json.json()["early"] as? [String: Any], "\(json.stdout)")
        #expect(early["finalist_timeout_ms"] as? Int == 20 && early["cutoff_factor"] as? Double == 1.5 && early["cutoff_margin_ms"] as? Double == 5, "\(early)")
        let explained = try await CLIRunner.run(["--best", "--demo", "--timeout", "20", "--explain", "-q"])
        let line = try #require(explained.stdout.split(separator: "\n").first { $0.contains("early answer: cutoff") }, "\(explained.stdout)")
        #expect(line.contains("(1.5 × the best first answer + 5 ms)") && line.contains("giving up after 20 ms per probe"), "\(line)")
    }
}
