import Foundation
import Testing
@testable import ProbeKit
import ProviderFetch

/// The pure parts of `probe serve`: the spread of probe starts, the web config (YAML and JSON,
/// bcrypt through libcrypt), custom labels, stale series, and the reloadable snapshot.
@Suite struct ServePartsTests {
    @Test(arguments: [
        // (period, timeout ms, probes, cap) -> rate
        (30_000, 1_000, 30_000, 10_000, 2_143),  // 10,000 targets × 3 over 14 s
        (2_000, 200, 60, 10_000, 75),  // 0.8 s
        (50, 1_000, 3_000, 10_000, 10_000),  // a round that fits at the cap keeps the cap (window 5 ms)
        (30_000, 1_000, 30_000, 0, 2_143),  // no cap: the spread alone
        (30_000, 1_000, 0, 500, 500),
        (60_000, 1_000, 3, 10_000, 1),
    ])
    func theSpreadRateFillsHalfThePeriodLessTheTimeout(_ periodMs: Int, _ timeout: Int, _ probes: Int, _ cap: Int, _ rate: Int) {
        let spread = ProbeSpread(period: .milliseconds(periodMs), timeoutMilliseconds: timeout)
        #expect(spread.rate(probes: probes, cap: cap) == rate)
    }

    @Test func theSocketsOpenAtOnceFollowTheSpreadRate() {
        var spread = ProbeSpread(period: .seconds(30), timeoutMilliseconds: 1_000)
        // 10,000 targets × 3 samples × 2 methods over 14 s: 4,286/s, each open up to 1 s.
        #expect(spread.inFlight(rate: 4_286, timeoutMilliseconds: 1_000, current: 256) == 5_144)
        #expect(spread.inFlight(rate: 100, timeoutMilliseconds: 1_000, current: 256) == 256, "never lowered")
        spread.raisesInFlight = false
        #expect(spread.inFlight(rate: 4_286, timeoutMilliseconds: 1_000, current: 256) == 256, "--max-in-flight given: kept")
    }

    @Test func theWindowIsAtLeastATenthOfThePeriod() {
        #expect(ProbeSpread(period: .seconds(1), timeoutMilliseconds: 5_000).window == .milliseconds(100))
        #expect(ProbeSpread(period: .seconds(30), timeoutMilliseconds: 1_000).window == .seconds(14))
    }

    static let hash = "$2b$10$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2u"  // bcrypt("secret")

    @Test func aWebConfigReadsAsExporterToolkitWritesIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("probe-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["cert.pem", "key.pem", "ca.pem"] { try "x".write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        let yaml = """
            ---
            # comment
            tls_server_config:   # trailing comment
              cert_file: cert.pem
              key_file: 'key.pem'
              client_auth_type: "RequireAndVerifyClientCert"
              client_ca_file: \(directory.path)/ca.pem
              min_version: TLS13
            http_server_config:
              http2: false
            basic_auth_users:
              alice: \(Self.hash)
              "bob smith": '\(Self.hash)'
            """
        let web = try WebConfiguration.parse(yaml, directory: directory.path)
        let tls = try #require(web.tls)
        #expect(tls.certificateFile == directory.path + "/cert.pem" && tls.keyFile == directory.path + "/key.pem")
        #expect(tls.requireClientCertificate && tls.clientCAFile == directory.path + "/ca.pem" && tls.minimumVersion == "TLS13")
        #expect(web.users == ["alice": Self.hash, "bob smith": Self.hash])
        let json = try WebConfiguration.parse(#"{"basic_auth_users": {"alice": "\#(Self.hash)"}}"#)
        #expect(json.users == ["alice": Self.hash] && json.tls == nil)
    }

    @Test(arguments: [
        ("basic_auth_users:\n\talice: x\n", "tabs"),
        ("a: [1, 2]\n", "only plain or quoted strings"),
        ("basic_auth_users:\n  alice: \"$2y$\n", "unterminated"),
        ("tls_server_config:\n  cert_file: a\n  cert_file: b\n", "given twice"),
        ("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequestClientCert\n", "client_auth_type"),
        ("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS10\n", "min_version"),
        ("{\"basic_auth_users\": [1]}", "must be a string or an object"),
        ("basic_auth_users:\n  'a:b': $2y$10$x\n", "holds a ':'"),
    ])
    func aBadWebConfigSaysWhatIsWrong(_ text: String, _ reason: String) {
        #expect(throws: WebConfigurationError.self) { try WebConfiguration.parse(text) }
        do {
            _ = try WebConfiguration.parse(text)
        } catch {
            #expect(error.description.contains(reason), "\(error.description)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func basicAuthChecksBcryptThroughLibcryptAndRemembersSuccesses() throws {
        try #require(WebConfiguration.canVerify, "libcrypt is missing")
        #expect(WebConfiguration.verify("secret", hash: Self.hash))
        #expect(!WebConfiguration.verify("Secret", hash: Self.hash))
        #expect(!WebConfiguration.verify("secret", hash: "$2b$10$garbage"))
        let web = WebConfiguration(users: ["alice": Self.hash])
        let cache = PasswordCache()
        func basic(_ text: String) -> String { "Basic " + Data(text.utf8).base64EncodedString() }
        #expect(web.admits(authorization: basic("alice:secret"), cache: cache))
        #expect(!web.admits(authorization: basic("alice:wrong"), cache: cache))
        #expect(!web.admits(authorization: basic("mallory:secret"), cache: cache))
        #expect(!web.admits(authorization: nil, cache: cache))
        #expect(!web.admits(authorization: "Bearer x", cache: cache))
        #expect(!web.admits(authorization: "Basic !!!", cache: cache))
        // The second check of the same credentials does not run bcrypt again.
        var ran = false
        #expect(cache.check(user: "alice", password: "secret", hash: Self.hash) { ran = true; return false })
        #expect(!ran)
        #expect(WebConfiguration().admits(authorization: nil, cache: cache), "no users: no auth")
    }

    @Test func labelsApplyByProviderThenByRuleAndShowInTheMetrics() throws {
        let configuration = try ProviderConfiguration.parse(Data("""
            {"providers": [{"type": "static", "name": "lab", "path": "x", "labels": {"tier": "gold", "site": "home"}}],
             "labels": [{"match": "*frankfurt*", "labels": {"site": "fra", "rack": 7}}]}
            """.utf8))
        #expect(configuration.labels.count == 2)
        var round = try ReportRendererTests.round()
        guard case .success(var report) = round.result else { return }
        let server = Server(provider: "lab", id: "s1", name: "Frankfurt 1", host: "198.18.1.1", port: 443)
        report.ranked[0].server = server
        report.best?.server = server
        report.applyLabels(configuration.labels)
        #expect(report.ranked[0].labels == ["tier": "gold", "site": "fra", "rack": "7"])
        #expect(report.ranked.dropFirst().allSatisfy { $0.labels == nil || $0.labels?["tier"] == nil })
        round.result = .success(report)
        var metrics = PrometheusMetrics()
        metrics.ingest(round, timestamp: 0)
        let text = metrics.render()
        #expect(text.contains("name=\"Frankfurt 1\",country=\"\",rack=\"7\",site=\"fra\",tier=\"gold\"} "), "\(text)")
        #expect(report.jsonText(pretty: false).contains("\"labels\":{\"rack\":\"7\",\"site\":\"fra\",\"tier\":\"gold\"}"))
    }

    @Test(arguments: [
        #"{"providers": [], "labels": {"a": "b"}}"#,
        #"{"providers": [], "labels": [{"match": "*"}]}"#,
        #"{"providers": [], "labels": [{"match": [], "labels": {"a": "b"}}]}"#,
        #"{"providers": [], "labels": [{"match": "*", "labels": {"__name__": "b"}}]}"#,
        #"{"providers": [], "labels": [{"match": "*", "labels": {"target": "b"}}]}"#,
        #"{"providers": [], "labels": [{"match": "*", "labels": {"9lives": "b"}}]}"#,
        #"{"providers": [], "labels": [{"match": "*", "labels": {"a": {"b": 1}}}]}"#,
        #"{"providers": [{"type": "static", "name": "lab", "path": "x", "labels": {"job": "x"}}]}"#,
    ])
    func badLabelsAreOneLineConfigurationErrors(_ text: String) {
        #expect(throws: ProviderError.self) { try ProviderConfiguration.parse(Data(text.utf8)) }
    }

    @Test func seriesMissingForTenRoundsAreDropped() throws {
        var metrics = PrometheusMetrics()
        let full = try ReportRendererTests.round()
        guard case .success(let report) = full.result else { return }
        var fewer = report
        fewer.ranked = Array(report.ranked.prefix(1))
        metrics.ingest(full, timestamp: 0)
        #expect(metrics.render().contains("probe_sent_total{target=\"198.18.1.2:443\""))
        for index in 0..<10 {
            metrics.ingest(ProbeRound(index: index, skipped: 0, scheduledAt: .zero, startedAt: .zero, result: .success(fewer)), timestamp: 0)
        }
        #expect(metrics.render().contains("probe_sent_total{target=\"198.18.1.2:443\""), "kept while missing for 10 rounds")
        metrics.ingest(ProbeRound(index: 11, skipped: 0, scheduledAt: .zero, startedAt: .zero, result: .success(fewer)), timestamp: 0)
        #expect(!metrics.render().contains("probe_sent_total{target=\"198.18.1.2:443\""), "dropped after 11")
        #expect(metrics.render().contains("probe_sent_total{target=\"198.18.1.1:443\""))
    }

    @Test func aSnapshotKeepsItsFilesUntilAGoodReload() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("probe-snap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("config.json").path
        let targets = directory.appendingPathComponent("targets.txt").path
        try #"{"providers": [{"type": "static", "name": "a", "path": "s.json"}]}"#.write(toFile: config, atomically: true, encoding: .utf8)
        try "198.18.1.1\n".write(toFile: targets, atomically: true, encoding: .utf8)
        let snapshot = try ConfigurationSnapshot(providersFile: config, targetsFile: targets)
        #expect(try snapshot.providers().0.providers.map(\.name) == ["a"] && snapshot.targets.targets.count == 1)
        try #"{"providers": [{"type": "static", "name": "b", "path": "s.json"}]}"#.write(toFile: config, atomically: true, encoding: .utf8)
        try "198.18.1.1\n198.18.1.2\n".write(toFile: targets, atomically: true, encoding: .utf8)
        #expect(try snapshot.providers().0.providers.map(\.name) == ["a"], "an edit changes nothing before a reload")
        guard case .success(let summary) = snapshot.reload() else { Issue.record("the reload failed"); return }
        #expect(summary == "1 provider(s), 2 target(s) from files")
        #expect(try snapshot.providers().0.providers.map(\.name) == ["b"] && snapshot.targets.targets.count == 2)
        try #"{"providers": [{"type": "nope", "name": "c"}]}"#.write(toFile: config, atomically: true, encoding: .utf8)
        guard case .failure(let error) = snapshot.reload() else { Issue.record("a bad file was taken"); return }
        #expect(error.message.contains("unknown type 'nope'"))
        #expect(try snapshot.providers().0.providers.map(\.name) == ["b"] && snapshot.reloads == 1)
        try "x".write(toFile: config, atomically: true, encoding: .utf8)
        #expect(throws: ProbeClientError.self) { try ConfigurationSnapshot(providersFile: config, targetsFile: nil) }
    }
}
