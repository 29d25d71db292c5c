import Foundation
import Prober
import Testing

/// `probe report`: rounds on schedule, each format end to end, atomic files, signals.
@Suite struct ReportCommandTests {
    @Test func jsonlRoundsOnStdout() async throws {
        let open = try LoopbackListener(kind: .open)
        defer { open.close() }
        let target = "127.0.0.1:\(open.address.port)"
        let output = try await CLIRunner.run(["report", "--every", "100ms", "--count", "3", "--format", "jsonl", "--method", "tcp", target])
        #expect(output.status == 0, "\(output.stderr)")
        let lines = output.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        let rounds = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        // On schedule, or (on a busy machine) with skipped rounds counted: round = previous + 1 + skipped.
        var previous = -1
        for round in rounds {
            #expect(round["round"] as? Int == previous + 1 + (round["skipped"] as? Int ?? -100))
            previous = round["round"] as? Int ?? -100
        }
        #expect(rounds.allSatisfy { ($0["best"] as? [String: Any])?["target"] as? String == target })
        #expect(rounds.allSatisfy { ($0["durations"] as? [String: Any])?["probe_ms"] is Double })
    }

    @Test func csvToAFileHoldsEveryRoundUnderOneHeader() async throws {
        let open = try LoopbackListener(kind: .open), closed = try LoopbackListener(kind: .closed)
        defer { open.close(); closed.close() }
        let file = try CLIRunner.temporaryFile("", name: "report.csv")
        let output = try await CLIRunner.run(["report", "--every", "400ms", "--count", "3", "--format", "csv", "--output", file.path, "--method", "tcp",
                                              "127.0.0.1:\(open.address.port)", "127.0.0.1:\(closed.address.port)"])
        #expect(output.status == 0 && output.stdout.isEmpty, "\(output.stderr)")
        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1 + 3 * 2)
        #expect(lines[0].hasPrefix("timestamp,round,rank,target,"))
        // Three rounds, two servers each (a round may be skipped on a busy machine: indices only grow).
        let indices = lines.dropFirst().map { Int($0.split(separator: ",")[1]) ?? -1 }
        #expect(indices.count == 6 && indices == indices.sorted() && Set(indices).count == 3, "\(indices)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: file.deletingLastPathComponent().path)
        #expect(leftovers == ["report.csv"], "temporary files left: \(leftovers)")
    }

    @Test(arguments: [("markdown", "## Round 0"), ("html", "<!DOCTYPE html>"), ("prometheus", "# HELP probe_rtt_seconds")])
    func everyFormatWritesItsDocument(format: String, start: String) async throws {
        let open = try LoopbackListener(kind: .open)
        defer { open.close() }
        let output = try await CLIRunner.run(["report", "--every", "1s", "--count", "1", "--format", format, "--method", "tcp", "127.0.0.1:\(open.address.port)"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.hasPrefix(start), "\(output.stdout.prefix(200))")
    }

    @Test(arguments: [("TERM", 143), ("INT", 130)])
    func aSignalStopsAfterACompleteFile(signal: String, status: Int) async throws {
        let open = try LoopbackListener(kind: .open)
        defer { open.close() }
        let file = try CLIRunner.temporaryFile("", name: "probe.prom")
        try FileManager.default.removeItem(at: file)
        // Readers look at the file all along: every read must be a whole exposition (its last line last).
        let script = """
            "$PROBE" report --every 20ms --format prometheus --output '\(file.path)' --method tcp 127.0.0.1:\(open.address.port) &
            pid=$!
            n=0; while [ ! -s '\(file.path)' ] && [ $n -lt 500 ]; do sleep 0.01; n=$((n+1)); done
            bad=0; i=0
            while [ $i -lt 300 ]; do tail -n 1 '\(file.path)' | grep -q '^probe_round_timestamp_seconds ' || bad=$((bad+1)); i=$((i+1)); done
            kill -\(signal) $pid
            wait $pid
            echo "status=$? bad=$bad"
            """
        let output = try await CLIRunner.run([], shell: script)
        #expect(output.stdout.contains("status=\(status) bad=0"), "\(output.stdout) \(output.stderr)")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.hasPrefix("# HELP probe_rtt_seconds") && text.hasSuffix("\n"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: file.deletingLastPathComponent().path)
        #expect(leftovers == ["probe.prom"], "temporary files left: \(leftovers)")
    }

    /// Without --every: one round, written as any round is (issue 29).
    @Test func withoutEveryOneRoundIsWritten() async throws {
        let open = try LoopbackListener(kind: .open)
        defer { open.close() }
        let file = try CLIRunner.temporaryFile("", name: "report.html")
        let output = try await CLIRunner.run(["report", "--format", "html", "--output", file.path, "--method", "tcp", "--no-sticky",
                                              "127.0.0.1:\(open.address.port)"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(try String(contentsOf: file, encoding: .utf8).hasPrefix("<!DOCTYPE html>"))
        let jsonl = try await CLIRunner.run(["report", "--method", "tcp", "--no-sticky", "127.0.0.1:\(open.address.port)"])
        #expect(jsonl.status == 0 && jsonl.stdout.split(separator: "\n").count == 1, "\(jsonl.stdout) \(jsonl.stderr)")
    }

    @Test(arguments: [(["--every", "soon"], "--every"), (["--every", "0s"], "--every"), (["--every", "1s", "--count", "0"], "--count"),
                      (["--every", "1s", "--format", "xml"], "--format"), (["--count", "3"], "--every")])
    func badFlagsAreOneLineUsageErrors(flags: [String], named: String) async throws {
        let output = try await CLIRunner.run(["report"] + flags + ["127.0.0.1:9"])
        #expect(output.status == 64)
        #expect(output.stderrLines.count == 1 && output.stderr.contains(named), "\(output.stderr)")
    }
}

/// Progress for people: on a terminal only, redrawn in place, cleared at the end.
@Suite struct ProgressLineTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "script (bsdutils) is missing"))
    func aTerminalSeesProgressAndAPipeDoesNot() async throws {
        let open = try LoopbackListener(kind: .open)
        defer { open.close() }
        let targets = (1...40).map { "127.0.0.\($0):\(open.address.port)" }.joined(separator: " ")
        // `script` gives probe a terminal; its stderr goes to the same terminal as stdout.
        let tty = try await CLIRunner.run([], shell: "script -qec \"\\\"$PROBE\\\" rank --method tcp --no-sticky \(targets)\" /dev/null")
        #expect(tty.stdout.contains("\r\u{1B}[Kprobed 40/40 targets"), "\(tty.stdout.debugDescription.prefix(600))")
        #expect(tty.stdout.contains("targets\r\u{1B}[K #  TARGET"), "the line is cleared before the table")
        let piped = try await CLIRunner.run(["rank", "--method", "tcp", "--no-sticky"] + targets.split(separator: " ").map(String.init))
        #expect(!piped.stderr.contains("\u{1B}[") && !piped.stdout.contains("\u{1B}["))
        let quiet = try await CLIRunner.run([], shell: "script -qec \"\\\"$PROBE\\\" rank -q --method tcp --no-sticky \(targets)\" /dev/null")
        #expect(!quiet.stdout.contains("probed"))
    }
}
