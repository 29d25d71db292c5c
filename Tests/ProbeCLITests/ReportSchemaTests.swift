import Foundation
import ProbeKit
import Testing

/// One schema: what `probe --best --json` and `probe report --format jsonl` write decodes into
/// `ProbeReport`, and their keys are the README's.
@Suite struct ReportSchemaTests {
    /// The keys of the README's entry table (`| \`key\` | type | meaning |` rows under "JSON schema").
    static func readmeEntryKeys() throws -> Set<String> {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        guard let start = text.range(of: "### JSON schema"), let end = text.range(of: "\n## ", range: start.upperBound..<text.endIndex) else { return [] }
        var keys = Set<String>()
        for line in text[start.upperBound..<end.lowerBound].split(separator: "\n") where line.hasPrefix("| `") {
            let cell = line.dropFirst(2).prefix { $0 != "|" }
            for part in cell.split(separator: ",") {
                let key = part.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "`"))
                if !key.isEmpty { keys.insert(key) }
            }
        }
        return keys
    }

    @Test func bestJSONAndReportJSONLinesAreOneSchema() async throws {
        let open = try LoopbackListener(kind: .open, host: "127.0.0.1")
        defer { open.close() }
        let list = try CLIRunner.temporaryFile("host,port,name\n127.0.0.1,\(open.address.port),mine\n", name: "servers.csv")
        let config = list.deletingLastPathComponent().appendingPathComponent("config.json")
        try #"{"providers": [{"type": "static", "name": "mine", "path": "servers.csv"}]}"#.write(to: config, atomically: true, encoding: .utf8)
        let best = try await CLIRunner.run(["--best", "--config", config.path, "--method", "tcp", "--json", "--no-sticky"])
        let round = try await CLIRunner.run(["report", "--every", "1s", "--count", "1", "--format", "jsonl", "--config", config.path, "--method", "tcp", "--no-sticky"])
        #expect(best.status == 0 && round.status == 0, "\(best.stderr) \(round.stderr)")
        let documented = try Self.readmeEntryKeys()
        #expect(documented.count >= 15, "\(documented)")
        for (name, text) in [("--json", best.stdout), ("jsonl", round.stdout.split(separator: "\n").first.map(String.init) ?? "")] {
            let report = try JSONDecoder().decode(ProbeReport.self, from: Data(text.utf8))
            #expect(report.best?.server?.name == "mine", "\(name)")
            #expect(report.providers.first?.name == "mine" && report.durations != nil && report.sweep != nil, "\(name)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            let keys = Set(object.keys).subtracting(["round", "timestamp", "skipped", "scheduled_ms", "started_ms"])
            #expect(keys.isSuperset(of: ["best", "ranked", "errors", "elapsed_ms", "sweep", "providers", "durations"]), "\(name): \(keys)")
            #expect(keys.isSubset(of: ["best", "ranked", "errors", "elapsed_ms", "sweep", "sticky", "notes", "early", "providers", "durations", "connection", "version"]), "\(name): \(keys)")
            // Each entry's keys are the README's table, no more, no fewer (optional ones aside).
            let entry = try #require(object["best"] as? [String: Any])
            let optional: Set<String> = ["tcp", "icmp", "handshake", "server", "score_terms", "excluded", "labels"]
            #expect(Set(entry.keys).subtracting(optional) == documented.subtracting(optional), "\(name): \(Set(entry.keys).symmetricDifference(documented))")
        }
        // The early answer's summary is in --json (and a full round's in jsonl has none: it measures everything).
        #expect(best.stdout.contains("\"early\":"))
    }
}
