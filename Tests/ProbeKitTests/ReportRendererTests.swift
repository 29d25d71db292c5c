import Foundation
import TestPacing
import Testing
@testable import ProbeKit
import Prober
import Ranking
import ProviderFetch

/// The report formats: golden CSV and Markdown, JSON lines parsed back, Prometheus through
/// promtool, HTML in headless Chromium.
@Suite struct ReportRendererTests {
    /// A fixed round: one open server (3 samples), one that timed out, one with an awkward name.
    static func round(index: Int = 2, skipped: Int = 0) throws -> ProbeRound {
        func result(_ index: Int, _ host: String, _ rtts: [Double?]) throws -> TargetResult {
            let samples = rtts.enumerated().map { offset, rtt in
                ProbeSample(index: offset, outcome: rtt == nil ? .timeout : .open, rttNanoseconds: rtt.map { UInt64($0 * 1_000_000) },
                            timing: rtt == nil ? nil : .kernel)
            }
            let target = try ProbeTarget(parsing: host)
            return TargetResult(index: index, target: target, address: SocketAddress(numericHost: target.host, port: target.port),
                                tcp: Measurement(method: .tcp, samples: samples))
        }
        let results = [try result(0, "198.18.1.1:443", [5, 6, 5.5]), try result(1, "198.18.1.2:443", [nil, nil, nil]),
                       try result(2, "198.18.1.3:8443", [20, nil, 22])]
        let server = Server(provider: "acme \"west\"", id: "s3", name: "Frankfurt, DE #3", country: "DE", host: "198.18.1.3", port: 8443)
        var report = ProbeSession().report(for: results, errors: [ReportError(source: "xm", message: "HTTP 503")],
                                           start: MonotonicInstant.now(),
                                           items: ProbeItems(explicit: results.prefix(2).map(\.target), servers: [server]))
        report.providers = [ProviderStatus(name: "acme \"west\"", up: true, servers: 1, fetchMs: 120.5, error: nil),
                            ProviderStatus(name: "xm", up: false, servers: 0, fetchMs: 10000, error: "HTTP 503")]
        report.durations = RunDurations(fetchMs: 120.5, probeMs: 61.25, rankMs: 0.5)
        report.elapsedMs = 182.25
        return ProbeRound(index: index, skipped: skipped, scheduledAt: .seconds(60 * index), startedAt: .seconds(60 * index),
                          result: .success(report))
    }

    static let timestamp = 1_795_456_800.0  // 2026-11-23T18:00:00Z

    @Test func csvIsOneRowPerServerWithAHeader() throws {
        var renderer = ReportRenderer(format: .csv)
        let text = renderer.header + renderer.render(try Self.round(), timestamp: Self.timestamp)
        let golden = #"""
            timestamp,round,rank,target,host,address,port,provider,name,country,protocol,method,state,sent,received,loss,rtt_min_ms,rtt_median_ms,rtt_p90_ms,rtt_max_ms,jitter_ms,score,best,excluded,version
            2026-11-23T18:00:00Z,2,1,198.18.1.1:443,198.18.1.1,198.18.1.1,443,,,,,tcp,open,3,3,0,5,5.5,5.9,6,0.75,5.975,1,,\#(ProbeVersion.current)
            2026-11-23T18:00:00Z,2,2,198.18.1.3:8443,198.18.1.3,198.18.1.3,8443,"acme ""west""","Frankfurt, DE #3",DE,,tcp,open,3,2,0.3333,20,21,21.8,22,2,188.867,0,,\#(ProbeVersion.current)
            2026-11-23T18:00:00Z,2,3,198.18.1.2:443,198.18.1.2,198.18.1.2,443,,,,,tcp,timeout,3,0,1,,,,,,,0,,\#(ProbeVersion.current)

            """#
        #expect(text == golden)
    }

    @Test func markdownIsAReadableTable() throws {
        var renderer = ReportRenderer(format: .markdown)
        let text = renderer.render(try Self.round(skipped: 1), timestamp: Self.timestamp)
        let golden = #"""
            ## Round 2 — 2026-11-23T18:00:00Z

            1 round(s) skipped before this one: the previous round overran its period.

            **Best:** 198.18.1.1:443 — median 5.5 ms, score 5.975

            | # | server | provider | country | median ms | p90 ms | loss | score | state | why excluded |
            | ---: | --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |
            | 1 | 198.18.1.1:443 |  |  | 5.5 | 5.9 | 0% | 5.975 | open |  |
            | 2 | Frankfurt, DE #3 (198.18.1.3:8443) | acme "west" | DE | 21 | 21.8 | 33.3% | 188.867 | open |  |
            | 3 | 198.18.1.2:443 |  |  | - | - | 100% | - | timeout |  |

            Errors:

            - xm: HTTP 503

            fetch 120.5 ms, probe 61.25 ms, rank 0.5 ms

            probe \#(ProbeVersion.current)


            """#
        #expect(text == golden)
    }

    @Test func jsonLinesParseBack() throws {
        var renderer = ReportRenderer(format: .jsonl)
        let first = renderer.render(try Self.round(index: 0), timestamp: Self.timestamp)
        let second = renderer.render(try Self.round(index: 2, skipped: 1), timestamp: Self.timestamp + 120)
        let lines = (first + second).split(separator: "\n")
        #expect(lines.count == 2)
        for (line, round) in zip(lines, [0, 2]) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["round"] as? Int == round)
            #expect((object["best"] as? [String: Any])?["target"] as? String == "198.18.1.1:443")
            #expect((object["ranked"] as? [[String: Any]])?.count == 3)
            let durations = try #require(object["durations"] as? [String: Any])
            #expect(durations["fetch_ms"] as? Double == 120.5 && durations["probe_ms"] as? Double == 61.25 && durations["rank_ms"] as? Double == 0.5)
            #expect((object["errors"] as? [[String: Any]])?.first?["message"] as? String == "HTTP 503")
            #expect(object["timestamp"] as? String == (round == 0 ? "2026-11-23T18:00:00Z" : "2026-11-23T18:02:00Z"))
        }
        let failed = renderer.render(ProbeRound(index: 3, skipped: 0, scheduledAt: .seconds(3), startedAt: .seconds(3),
                                                result: .failure(ProbeClientError(.configuration, "config.json: not valid JSON"))), timestamp: 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(failed.utf8)) as? [String: Any])
        #expect(object["best"] is NSNull && (object["errors"] as? [[String: Any]])?.first?["message"] as? String == "config.json: not valid JSON")
    }

    @Test func prometheusEscapesLabelsAndNamesTheBest() throws {
        var renderer = ReportRenderer(format: .prometheus)
        let text = renderer.render(try Self.round(), timestamp: Self.timestamp)
        #expect(text.contains(#"provider="acme \"west\"",name="Frankfurt, DE #3""#))
        #expect(text.contains(#"probe_best{target="198.18.1.1:443",address="198.18.1.1",method="tcp"} 1"#))
        #expect(text.contains("# TYPE probe_rtt_seconds histogram"))
        #expect(text.contains(#"probe_rtt_seconds_bucket{target="198.18.1.1:443",address="198.18.1.1",method="tcp",le="5e-05"} 0"#))
        #expect(text.contains(#"probe_rtt_seconds_bucket{target="198.18.1.1:443",address="198.18.1.1",method="tcp",le="+Inf"} "#))
        #expect(text.contains(#"probe_up{target="198.18.1.2:443",address="198.18.1.2",method="tcp"} 0"#))
        #expect(text.contains(#"probe_provider_up{provider="xm"} 0"#))
        #expect(PrometheusMetrics.escape("a\\b\"c\nd") == #"a\\b\"c\nd"#)
    }

    /// Histograms and counters add up over rounds (so PromQL's rate works); gauges are the latest round's.
    @Test func prometheusCountsAcrossRounds() throws {
        var metrics = PrometheusMetrics()
        let round = try Self.round()
        guard case .success(let report) = round.result, let best = report.best else { Issue.record("no best"); return }
        let labels = PrometheusMetrics.labels(best)
        let answered = best.samples.filter { $0.rttMs != nil }.count
        metrics.ingest(round, timestamp: Self.timestamp)
        metrics.ingest(try Self.round(index: 1), timestamp: Self.timestamp + 60)
        let text = metrics.render()
        #expect(text.contains("probe_rtt_seconds_count{\(labels)} \(2 * answered)\n"))
        #expect(text.contains("probe_sent_total{\(labels)} \(2 * best.sent)\n"))
        #expect(text.contains("probe_received_total{\(labels)} \(2 * best.received)\n"))
        #expect(text.contains("probe_rounds_total 2\n") && text.contains("probe_best_switches_total 0\n"))
        // Buckets are cumulative and end at the count.
        let buckets = text.split(separator: "\n").filter { $0.hasPrefix("probe_rtt_seconds_bucket{\(labels),") }.compactMap { UInt64($0.split(separator: " ").last ?? "") }
        #expect(buckets.count == PrometheusMetrics.defaultBuckets.count + 1 && buckets == buckets.sorted() && buckets.last == UInt64(2 * answered))
        // OpenMetrics when asked: counter families without `_total`, `# EOF` last.
        let open = metrics.render(openMetrics: true)
        #expect(open.contains("# TYPE probe_sent counter\n") && open.hasSuffix("# EOF\n"))
        #expect(PrometheusMetrics.wantsOpenMetrics(accept: "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"))
        #expect(!PrometheusMetrics.wantsOpenMetrics(accept: "text/plain"))
    }

    @Test(.enabled(if: Tools.promtool != nil, "promtool is missing: install Debian's 'prometheus' package"))
    func prometheusPassesPromtool() async throws {
        var renderer = ReportRenderer(format: .prometheus)
        let text = renderer.render(try Self.round(), timestamp: Self.timestamp)
        let result = try await Tools.run([try #require(Tools.promtool), "check", "metrics"], input: text)
        #expect(result.status == 0, "promtool: \(result.output)")
        // A failed round is valid exposition too.
        let failed = renderer.render(ProbeRound(index: 1, skipped: 0, scheduledAt: .zero, startedAt: .zero,
                                                result: .failure(ProbeClientError(.noTargets, "no targets"))), timestamp: 0)
        #expect(try await Tools.run([try #require(Tools.promtool), "check", "metrics"], input: failed).status == 0)
    }

    /// A round of `count` servers (`answering` of them answer: 3 samples around 5 + i/10 ms, a
    /// little loss on every seventh), of two providers.
    static func bigRound(index: Int, count: Int, answering: Int, time: Int = 0) throws -> ProbeRound {
        var results: [TargetResult] = []
        var servers: [Server] = []
        for i in 0..<count {
            let host = "198.18.\(i / 250).\(i % 250 + 1)"
            let base = 5 + Double(i % 97) / 10 + Double((index / 25 + i) % 5) / 4 + Double((index * 7 + i) % 3) / 20
            let rtts: [Double?] = i < answering ? [base, base + 0.4, i % 7 == 0 && index % 3 == 0 ? nil : base + 0.9] : [nil, nil, nil]
            let samples = rtts.enumerated().map { offset, rtt in
                ProbeSample(index: offset, outcome: rtt == nil ? .timeout : .open, rttNanoseconds: rtt.map { UInt64($0 * 1_000_000) }, timing: rtt == nil ? nil : .kernel)
            }
            let target = try ProbeTarget(parsing: host + ":443")
            results.append(TargetResult(index: i, target: target, address: SocketAddress(numericHost: host, port: 443), tcp: Measurement(method: .tcp, samples: samples)))
            servers.append(Server(provider: i % 2 == 0 ? "alpha" : "beta <b>", id: "s\(i)", name: "Server \(i) <i>", country: ["DE", "NL", "SG"][i % 3], host: host, port: 443))
        }
        var report = ProbeSession().report(for: results, errors: [], start: MonotonicInstant.now(), items: ProbeItems(explicit: [], servers: servers))
        report.providers = [ProviderStatus(name: "alpha", up: true, servers: count / 2, fetchMs: 100, error: nil),
                            ProviderStatus(name: "beta <b>", up: index % 4 != 1, servers: count / 2, fetchMs: 100, error: index % 4 == 1 ? "HTTP 503" : nil)]
        return ProbeRound(index: index, skipped: 0, scheduledAt: .seconds(60 * index), startedAt: .seconds(60 * index), result: .success(report))
    }

    /// Chromium headless on `page`: the DOM after its script ran (or with scripts off), and what it logged.
    static func browse(_ page: String, hash: String = "", screenshot: String? = nil, size: String = "1100,900") async throws -> (dom: String, log: String) {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("probe-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }  // the browser profile alone is megabytes
        let file = directory.appendingPathComponent("report.html")
        try page.write(to: file, atomically: true, encoding: .utf8)
        let chromium = try #require(Tools.chromium)
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=\(directory.path)/profile",
                     "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000"]
        if let screenshot {
            let shot = try await Tools.run([chromium] + flags + ["--screenshot=\(screenshot)", "--window-size=\(size)", file.absoluteString + hash])
            return ("", shot.output)
        }
        let run = try await Tools.run([chromium] + flags + ["--dump-dom", file.absoluteString + hash])
        #expect(run.status == 0, "chromium: \(run.output.suffix(500))")
        // --dump-dom prints the DOM on stdout and the log on stderr, both in the output here: the DOM starts at <html.
        guard let start = run.output.range(of: "<html") else { return ("", run.output) }
        return (String(run.output[start.lowerBound...]), String(run.output[..<start.lowerBound]))
    }

    static func count(_ text: String, _ marker: String) -> Int { text.components(separatedBy: marker).count - 1 }

    @Test(.enabled(if: Tools.chromium != nil, "chromium is missing: install Debian's 'chromium' package"))
    func htmlShowsTheTableChartsTimelineAndProvidersInABrowser() async throws {
        var renderer = ReportRenderer(format: .html)
        var page = ""
        for index in 0..<4 { page = renderer.render(try Self.round(index: index), timestamp: Self.timestamp + Double(60 * index)) }
        #expect(!page.contains("http://") || !page.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http://"))  // no external assets
        #expect(!page.contains("<link") && !page.contains(" src="))
        let (dom, log) = try await Self.browse(page)
        #expect(!log.contains("Uncaught") && !log.contains("CONSOLE"), "console: \(log.suffix(1_000))")
        // A row per server, the awkward name escaped; two charts (two servers answered), each with
        // its smoke, its median line and a mark per round, on the shared time axis.
        #expect(Self.count(dom, "<tr data-id=") == 3, "\(dom.suffix(2_000))")
        #expect(dom.contains("<td>Frankfurt, DE #3</td><td>acme \"west\"</td>"), "\(dom.suffix(3_000))")
        #expect(dom.contains("data-rendered=\"2\""))
        #expect(Self.count(dom, "class=\"smoke-chart\"") == 2 && Self.count(dom, "class=\"median-line\"") == 2)
        #expect(Self.count(dom, "class=\"smoke\"") == 8, "4 rounds × 2 servers")
        #expect(Self.count(dom, "class=\"loss-mark") == 8)
        #expect(dom.contains("class=\"choice-timeline\"") && dom.contains("class=\"providers\""))
        // Sorting: #sort=-median puts the slowest measured first (unmeasured stay last).
        let (sorted, _) = try await Self.browse(page, hash: "#sort=-median")
        let order = sorted.components(separatedBy: "<tr data-id=\"").dropFirst().map { $0.prefix(while: { $0 != "\"" }) }
        #expect(order.first.map(String.init) == "198.18.1.3:8443" && order.last.map(String.init) == "198.18.1.2:443", "\(order)")
        #expect(sorted.contains("class=\"desc\""))
        // With JavaScript off the table is still there (server-rendered); the charts are not. (The page
        // without its scripts: Chromium's --dump-dom needs scripting itself.)
        var withoutScripts = page
        while let open = withoutScripts.range(of: "<script"), let close = withoutScripts.range(of: "</script>", range: open.upperBound..<withoutScripts.endIndex) {
            withoutScripts.removeSubrange(open.lowerBound..<close.upperBound)
        }
        let (plain, _) = try await Self.browse(withoutScripts)
        #expect(Self.count(plain, "<tr data-id=") == 3 && !plain.contains("data-rendered"))
    }

    @Test(.enabled(if: Tools.chromium != nil, "chromium is missing: install Debian's 'chromium' package"))
    func htmlStaysUsableWith5000Servers() async throws {
        // Three rounds of 5,000 servers: computed on a thread of its own (see OffPool).
        let page = try await OffPool.run {
            var renderer = ReportRenderer(format: .html)
            var page = ""
            for index in 0..<3 { page = renderer.render(try Self.bigRound(index: index, count: 5_000, answering: 4_000), timestamp: Self.timestamp + Double(60 * index)) }
            return page
        }
        let (dom, log) = try await Self.browse(page)
        #expect(!log.contains("Uncaught"), "console: \(log.suffix(1_000))")
        #expect(Self.count(dom, "<tr data-id=") == 5_000)
        #expect(Self.count(dom, "<tr data-id=") - Self.count(dom, "hidden=\"\"") == 25, "one page of 25 rows shown (the charts below it stay in reach)")
        #expect(dom.contains("page 1 of 200 (5000 servers)"))
        #expect(dom.contains("data-rendered=\"5\"") && Self.count(dom, "class=\"smoke-chart\"") == 5)
        #expect(Self.count(dom, "class=\"availability\"") == 2)
    }

    /// The picture in the README: 50 servers over 100 rounds (written under .build/, and compared
    /// for nothing but being a real PNG).
    @Test(.enabled(if: Tools.chromium != nil, "chromium is missing: install Debian's 'chromium' package"))
    func htmlScreenshotOf50ServersOver100Rounds() async throws {
        // 99 rounds into the history, the page rendered with the 100th (as `report` renders it
        // then), on a thread of its own (see OffPool).
        let page = try await OffPool.run {
            var renderer = ReportRenderer(format: .html)
            for index in 0..<99 { renderer.html.add(try Self.bigRound(index: index, count: 50, answering: 48), timestamp: Self.timestamp + Double(300 * index)) }
            return renderer.render(try Self.bigRound(index: 99, count: 50, answering: 48), timestamp: Self.timestamp + Double(300 * 99))
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent(".build/report-screenshot.png").path
        try? FileManager.default.removeItem(atPath: path)
        _ = try await Self.browse(page, screenshot: path, size: "1000,1500")
        let png = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(png.count > 20_000 && png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]), "screenshot at \(path)")
    }

    @Test func theHistoryFileKeepsRoundsAcrossRestartsWithinItsRetention() throws {
        var first = HTMLReport(retention: .rounds(5))
        for index in 0..<4 { first.add(try Self.round(index: index), timestamp: Self.timestamp + Double(index)) }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("probe-history-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        try (first.historyText + "not a round\n{\"round\": 1").write(to: file, atomically: true, encoding: .utf8)
        let (rounds, skipped) = HTMLReport.readHistory(path: file.path)
        #expect(rounds.count == 4 && skipped == 2)
        var second = HTMLReport(retention: .rounds(5))
        second.restore(rounds)
        for index in 4..<7 { second.add(try Self.round(index: index), timestamp: Self.timestamp + Double(index)) }
        #expect(second.history.map(\.round) == [2, 3, 4, 5, 6])
        var aged = HTMLReport(retention: try #require(HTMLReport.Retention("3s")))
        aged.restore(rounds)
        aged.add(try Self.round(index: 9), timestamp: Self.timestamp + 6)
        #expect(aged.history.map(\.round) == [3, 9], "rounds more than 3 s older than the newest go")
        #expect(HTMLReport.Retention("0") == nil && HTMLReport.Retention("soon") == nil && HTMLReport.Retention("7d") == .seconds(604_800))
    }

    /// A round whose servers carry a hostile provider's names.
    static func hostileRound(_ names: [String]) throws -> ProbeRound {
        var results: [TargetResult] = []
        var servers: [Server] = []
        for (i, name) in names.enumerated() {
            let host = "198.18.9.\(i + 1)"
            let samples = [ProbeSample(index: 0, outcome: .open, rttNanoseconds: UInt64(1_000_000 * (i + 1)), timing: .kernel)]
            let target = try ProbeTarget(parsing: host + ":443")
            results.append(TargetResult(index: i, target: target, address: SocketAddress(numericHost: host, port: 443), tcp: Measurement(method: .tcp, samples: samples)))
            servers.append(Server(provider: name, id: "h\(i)", name: name, country: name, host: host, port: 443))
        }
        var report = ProbeSession().report(for: results, errors: [], start: MonotonicInstant.now(), items: ProbeItems(explicit: [], servers: servers))
        report.providers = [ProviderStatus(name: names[0], up: true, servers: names.count, fetchMs: 1, error: nil)]
        return ProbeRound(index: 0, skipped: 0, scheduledAt: .seconds(0), startedAt: .seconds(0), result: .success(report))
    }

    static let hostileNames = ["<!--<script>", "x</script><script>document.title='pwned'</script>", "[click](javascript:alert(1))",
                               "=HYPERLINK(\"http://192.0.2.1\",\"x\")", "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd", "\u{1B}]0;TITLE\u{07}\r\u{1B}[2K"]

    @Test(.enabled(if: Tools.chromium != nil, "chromium is missing: install Debian's 'chromium' package"))
    func hostileNamesNeitherStopTheScriptNorBecomeMarkup() async throws {
        var renderer = ReportRenderer(format: .html)
        let page = renderer.render(try Self.hostileRound(Self.hostileNames), timestamp: Self.timestamp)
        let data = try #require(page.range(of: "<script id=\"history-data\" type=\"application/json\">").flatMap { open in page.range(of: "</script>", range: open.upperBound..<page.endIndex).map { page[open.upperBound..<$0.lowerBound] } })
        #expect(!data.contains("<") && !data.contains(">"), "inline data holds markup")
        let (dom, log) = try await Self.browse(page)
        #expect(!log.contains("Uncaught"), "console: \(log.suffix(1_000))")
        // The script ran to the end (charts drawn, table rows sorted by the script) and no name became an element.
        #expect(dom.contains("data-rendered=\""), "the page's script stopped: \(dom.suffix(1_500))")
        #expect(Self.count(dom, "<tr data-id=") == Self.hostileNames.count)
        #expect(!dom.contains("<title>pwned") && !dom.contains("document.title='pwned'</script>"))
    }

    @Test func markdownAndCSVNeutraliseHostileNames() throws {
        var markdown = ReportRenderer(format: .markdown)
        let md = markdown.render(try Self.hostileRound(Self.hostileNames), timestamp: Self.timestamp)
        #expect(!md.contains("<script") && !md.contains("<!--") && md.contains("&lt;!--&lt;script&gt;"))
        #expect(!md.contains("[click](javascript:") && md.contains("\\[click\\](javascript:alert(1))"), "\(md)")
        #expect(!md.contains("\u{1B}") && !md.contains("\u{07}") && !md.contains("\r"))
        var csv = ReportRenderer(format: .csv)
        let rows = csv.render(try Self.hostileRound(Self.hostileNames), timestamp: Self.timestamp)
        #expect(rows.contains(",\"'=HYPERLINK(\"\"http://192.0.2.1\"\",\"\"x\"\")\",") && rows.contains(",'+cmd|' /C calc'!A0,") && rows.contains(",'@SUM(1+1)*cmd,"), "\(rows)")
        #expect(!rows.contains(",=") && !rows.contains(",+") && !rows.contains(",@"))
    }
}

/// Outside tools the report tests use.
enum Tools {
    static func find(_ names: [String]) -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        for name in names {
            for directory in paths where FileManager.default.isExecutableFile(atPath: directory + "/" + name) { return directory + "/" + name }
        }
        return nil
    }

    static let promtool = find(["promtool"])
    static let chromium = find(["chromium", "chromium-browser", "google-chrome"])

    /// Runs `arguments` with `input` on stdin; stdout and stderr together. The waiting happens on a
    /// thread of its own: a blocking wait on Swift's cooperative pool (two threads here) would stall
    /// every other test for as long as Chromium runs.
    /// A slot first (see ``ProcessSlots``), and Chromium one page at a time.
    static func run(_ arguments: [String], input: String = "") async throws -> (status: Int32, output: String) {
        if arguments.first == chromium {
            return try await ProcessSlots.browser.run { try await ProcessSlots.programs.run { try await runNow(arguments, input: input) } }
        }
        return try await ProcessSlots.programs.run { try await runNow(arguments, input: input) }
    }

    private static func runNow(_ arguments: [String], input: String) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let output = Pipe(), stdin = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = stdin
        try process.run()
        let reader = output.fileHandleForReading, writer = stdin.fileHandleForWriting
        let data = await withCheckedContinuation { (continuation: CheckedContinuation<Data, Never>) in
            Thread {
                writer.write(Data(input.utf8))
                try? writer.close()
                let data = reader.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: data)
            }.start()
        }
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
