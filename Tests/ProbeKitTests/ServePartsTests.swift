import Foundation
import Testing
@testable import ProbeKit
import ProviderFetch

/// The parts of ProbeKit `probe serve` runs on: the spread of probe starts, custom labels, stale
/// series, and the reloadable snapshot (the web config is ProbeServe's: WebConfigurationTests).
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
        let spread = ProbeSpread(period: .seconds(30), timeoutMilliseconds: 1_000)
        // 10,000 targets × 3 samples × 2 methods over 14 s: 4,286/s, each open up to 1 s.
        #expect(spread.inFlight(rate: 4_286, timeoutMilliseconds: 1_000, current: 256) == 5_144)
        #expect(spread.inFlight(rate: 100, timeoutMilliseconds: 1_000, current: 256) == 256, "never lowered")
        // Fitting a round's options: the rate and the sockets it keeps open, then no more growth.
        let fitted = spread.fit(ProbeOptions(), probes: 60_000)
        #expect(fitted.rate == 4_286 && fitted.maxInFlight == 5_144 && !fitted.growsInFlight)
        var capped = ProbeOptions(maxInFlight: 256)
        capped.growsInFlight = false  // --max-in-flight given
        #expect(spread.fit(capped, probes: 60_000).maxInFlight == 256, "--max-in-flight given: kept")
    }

    @Test func theWindowIsAtLeastATenthOfThePeriod() {
        #expect(ProbeSpread(period: .seconds(1), timeoutMilliseconds: 5_000).window == .milliseconds(100))
        #expect(ProbeSpread(period: .seconds(30), timeoutMilliseconds: 1_000).window == .seconds(14))
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
