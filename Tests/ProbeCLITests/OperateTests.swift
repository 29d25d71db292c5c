import Foundation
import Testing

/// Installing and operating probe: its version, the configuration helper, the systemd units.
@Suite struct OperateTests {
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    @Test func versionIsTheVersionFileAndEveryReportCarriesIt() async throws {
        let version = try String(contentsOf: Self.root.appendingPathComponent("VERSION"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let run = try await CLIRunner.run(["--version"])
        #expect(run.status == 0 && run.stdout.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix(version), "\(run.stdout) vs VERSION \(version)")
        let json = try await CLIRunner.run(["--best", "--demo", "--json", "--no-sticky", "-q"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["version"] as? String)?.hasPrefix(version) == true)
        let prometheus = try await CLIRunner.run(["report", "--demo", "--every", "1s", "--count", "1", "--format", "prometheus", "-q", "--no-sticky"])
        #expect(prometheus.stdout.contains("probe_build_info{version=\"\(version)"), "\(prometheus.stdout.prefix(500))")
    }

    /// The demo names its four providers in the report, and keeps its sticky state apart from the
    /// user's (issue 29): its throwaway servers never enter the real state.json.
    @Test func theDemoListsItsProvidersAndKeepsItsStateApart() async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("probe-demo-state-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: state) }
        let run = try await CLIRunner.run([], shell: "XDG_STATE_HOME='\(state.path)' \"$PROBE\" --best --demo --json -q")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stderr)")
        let providers = (object["providers"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(providers.count == 4, "\(providers)")
        #expect(FileManager.default.fileExists(atPath: state.appendingPathComponent("probe/state-demo.json").path))
        #expect(!FileManager.default.fileExists(atPath: state.appendingPathComponent("probe/state.json").path))
    }

    @Test func configInitWritesACommentedExampleThatChecksClean() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("probe-xdg-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let environment = "XDG_CONFIG_HOME='\(home.path)'"
        let binary = "'\(CLIRunner.binary.path)'"
        let run = try await CLIRunner.run([], shell: "\(environment) \(binary) config init && \(environment) \(binary) config check")
        let path = home.appendingPathComponent("probe/config.json").path
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        #expect(run.stdout.contains("wrote \(path)") && run.stdout.contains("\(path): ok (5 provider(s), 0 enabled, 1 label rule(s); none is fetched until you set \"enabled\": true on yours and fill in its url and credentials)"), "\(run.stdout)")
        // With only disabled providers, --best says so, names the file and how to go on (issue 29).
        let best = try await CLIRunner.run([], shell: "\(environment) \(binary) --best")
        #expect(best.status == 64 && best.stderr.contains("\(path) lists 5 provider(s), all disabled") && best.stderr.contains("probe --best --demo"), "\(best.stderr)")
        let file = try FileManager.default.attributesOfItem(atPath: path)
        let directory = try FileManager.default.attributesOfItem(atPath: home.appendingPathComponent("probe").path)
        #expect((file[.posixPermissions] as? NSNumber)?.intValue == 0o600 && (directory[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("// probe's configuration"))
        let again = try await CLIRunner.run([], shell: "\(environment) \(binary) config init")
        #expect(again.status == 64 && again.stderr.contains("exists"), "an existing file is kept: \(again.stderr)")
        // The example is a configuration probe runs with (every provider disabled: nothing fetched).
        let servers = try await CLIRunner.run([], shell: "\(environment) \(binary) servers --json")
        #expect(servers.status == 2 && servers.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]" && servers.stderr.isEmpty,
                "\(servers.status) \(servers.stdout) \(servers.stderr)")
    }

    @Test func configCheckNamesEveryProblemOnALineOfItsOwn() async throws {
        let file = try CLIRunner.temporaryFile("""
            {"providers": [
              // a comment is fine
              {"type": "vpnscript", "name": "vs", "url": "https://vpn.example.com", "username": "me", "password": "inline-Secret-1", "pasword": "typo"},
              {"type": "netmimic", "name": "nm", "url": "https://api.example.net", "email": "me@example.com", "password": "env:PROBE_TEST_UNSET_VARIABLE"},
              {"type": "json", "name": "js", "url": "https://api.example.org", "auth": {"type": "bearer", "token": "file:/nonexistent/token"}}
             ],
             "rankin": {}}
            """, name: "config.json")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        let run = try await CLIRunner.run(["config", "check", file.path])
        #expect(run.status == 64)
        let lines = run.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("unknown key 'rankin'") }, "\(run.stderr)")
        #expect(lines.contains { $0.contains("provider 'vs': unknown key 'pasword'") })
        #expect(lines.contains { $0.contains("provider 'vs': password is written inline in a file others can read") })
        #expect(lines.contains { $0.contains("provider 'nm': password reads the environment variable PROBE_TEST_UNSET_VARIABLE, which is not set") })
        #expect(lines.contains { $0.contains("provider 'js': auth.token reads '/nonexistent/token', which cannot be read") })
        #expect(!run.stderr.contains("inline-Secret-1"), "a secret never appears in output")
        let missing = try await CLIRunner.run(["config", "check", "/nonexistent/config.json"])
        #expect(missing.status == 64 && missing.stderr.contains("no such file"))
        let broken = try CLIRunner.temporaryFile("{\"providers\": [{\"type\": \"vpnscript\", \"name\": \"vs\"}]}", name: "config.json")
        let incomplete = try await CLIRunner.run(["config", "check", broken.path])
        #expect(incomplete.status == 64 && incomplete.stderr.contains("missing 'url'") && incomplete.stderr.split(separator: "\n").count == 1, "\(incomplete.stderr)")
    }

    static let systemdAnalyze: String? = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The units of Examples/systemd, as systemd itself reads them (`systemd-analyze verify`),
    /// with ExecStart pointing at the binary under test.
    @Test(.enabled(if: OperateTests.systemdAnalyze != nil, "systemd-analyze is missing: install Debian's 'systemd' package"))
    func systemdUnitsVerify() async throws {
        let analyze = try #require(Self.systemdAnalyze)
        let source = Self.root.appendingPathComponent("Examples/systemd")
        let directory = try CLIRunner.temporaryFile("", name: "placeholder").deletingLastPathComponent()
        let names = ["probe-serve.service", "probe-report.service", "probe-report.timer"]
        for name in names {
            let text = try String(contentsOf: source.appendingPathComponent(name), encoding: .utf8)
                .replacingOccurrences(of: "/usr/local/bin/probe", with: CLIRunner.binary.path)
            #expect(text.contains("DynamicUser=yes") || name.hasSuffix(".timer"))
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let files = names.map { "'\(directory.appendingPathComponent($0).path)'" }.joined(separator: " ")
        let run = try await CLIRunner.run([], shell: "cd '\(directory.path)' && '\(analyze)' verify --man=no \(files) 2>&1")
        #expect(run.status == 0, "systemd-analyze verify: \(run.stdout)")
        #expect(!run.stdout.contains("Unknown key") && !run.stdout.contains("Unknown section"), "\(run.stdout)")
    }
}

/// `probe report --format html --history FILE`: the page's history survives the process, as a
/// timer-driven report (one round a run) needs.
@Suite struct ReportHistoryTests {
    @Test func twoRunsMakeOnePageOfTheirRoundsWithinKeep() async throws {
        let history = try CLIRunner.temporaryFile("", name: "history.jsonl")
        try FileManager.default.removeItem(at: history)
        let page = history.deletingLastPathComponent().appendingPathComponent("report.html")
        let flags = ["report", "--demo", "--every", "100ms", "--count", "2", "--format", "html", "--output", page.path, "--history", history.path, "-q"]
        for _ in 0..<2 {
            let run = try await CLIRunner.run(flags)
            #expect(run.status == 0, "\(run.stderr)")
        }
        let lines = try String(contentsOf: history, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4, "two runs of two rounds: \(lines.count) lines")
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.contains("4 round(s) since"), "the page shows both runs")
        #expect((try FileManager.default.attributesOfItem(atPath: history.path)[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        // --keep bounds it: a third run with --keep 3 leaves three rounds.
        let kept = try await CLIRunner.run(flags + ["--keep", "3"])
        #expect(kept.status == 0)
        #expect(try String(contentsOf: history, encoding: .utf8).split(separator: "\n").count == 3)
        // A cut line (a crash mid-write) is skipped and said once; the rest stays.
        try (String(contentsOf: history, encoding: .utf8) + "{\"round\": 9, \"ti").write(to: history, atomically: true, encoding: .utf8)
        let cut = try await CLIRunner.run(flags + ["--keep", "10"])
        #expect(cut.status == 0 && cut.stderr.contains("1 line(s) are not rounds and were skipped"), "\(cut.stderr)")
        #expect(try String(contentsOf: history, encoding: .utf8).split(separator: "\n").count == 5)
    }

    @Test(arguments: [["--format", "csv", "--history", "h.jsonl"], ["--format", "html", "--keep", "soon"], ["--format", "html", "--keep", "0"]])
    func badHistoryFlagsAreUsageErrors(_ flags: [String]) async throws {
        let run = try await CLIRunner.run(["report", "--demo", "--every", "1s", "--count", "1"] + flags)
        #expect(run.status == 64 && run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
    }
}
