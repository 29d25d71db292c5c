import Foundation
import Prober
import Testing

/// `--from` as a user types it, on loopback (issue 25): a subscription file, standard input and a
/// folder on `--best`, `rank`, `report`, `servers` and `connect`; an open and a closed port
/// told apart, bad lines named, the handed-over share link exactly as served.
@Suite struct FromSourceTests {
    static let uuid = "b831381d-6324-4d53-ad4f-8cda48b30811"

    @Test func everyCommandTakesASource() async throws {
        let open = try LoopbackListener(kind: .open, host: "127.0.0.1")
        let closed = try LoopbackListener(kind: .closed, host: "127.0.0.1")
        defer { open.close(); closed.close() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("probe-from-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = "trojan://pw-open@127.0.0.1:\(open.address.port)?security=tls&sni=t.example#open-node"
        let links = [good, "vless://\(Self.uuid)@127.0.0.1:\(closed.address.port)?type=tcp#closed-node", "nonsense://x"].joined(separator: "\n")
        let subscription = directory.appendingPathComponent("nodes.txt")
        try Data(links.utf8).base64EncodedString().write(to: subscription, atomically: true, encoding: .utf8)
        let probe = CLIRunner.binary.path

        let servers = try await CLIRunner.run(["servers", "--json", "--from", "mine=" + subscription.path])
        #expect(servers.status == 0, "\(servers.stderr)")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(servers.stdout.utf8)) as? [[String: Any]])
        #expect(list.map { $0["id"] as? String } == ["mine:open-node@127.0.0.1:\(open.address.port)", "mine:closed-node@127.0.0.1:\(closed.address.port)"])
        #expect(list.map { $0["provider"] as? String } == ["mine", "mine"] && list.map { $0["protocol"] as? String } == ["trojan", "vless"])
        #expect(servers.stderr.contains("mine: nodes.txt: entry 3: unknown scheme 'nonsense': skipped"), "\(servers.stderr)")
        #expect(!servers.stdout.contains("pw-open") && !servers.stdout.contains(Self.uuid), "material never in the list")

        let best = try await CLIRunner.run([], shell: "'\(probe)' --best --no-sticky --json --from - < '\(subscription.path)'")
        #expect(best.status == 0, "\(best.stderr)")
        let report = try best.json()
        let pick = try #require(report["best"] as? [String: Any])
        #expect((pick["server"] as? [String: Any])?["name"] as? String == "open-node" && pick["state"] as? String == "open")
        let providers = try #require(report["providers"] as? [[String: Any]])
        #expect(providers.first?["name"] as? String == "stdin" && (providers.first?["problems"] as? [String])?.count == 1, "\(providers)")

        let rank = try await CLIRunner.run(["rank", "--no-sticky", "--from", subscription.path])
        #expect(rank.status == 0 && rank.stdout.contains("open-node") && rank.stdout.contains("closed-node"), "\(rank.stdout) \(rank.stderr)")

        let jsonl = try await CLIRunner.run(["report", "--every", "100ms", "--count", "1", "--no-sticky", "--from", subscription.path, "-q"])
        #expect(jsonl.status == 0 && jsonl.stdout.contains("\"open-node\""), "\(jsonl.stdout) \(jsonl.stderr)")

        let connection = directory.appendingPathComponent("conn").path
        let connect = try await CLIRunner.run(["--best", "--no-sticky", "--from", subscription.path, "--connect", connection])
        #expect(connect.status == 0, "\(connect.stderr)")
        #expect(try String(contentsOfFile: connection + "/uri.txt", encoding: .utf8) == good + "\n")
        for file in ["xray-outbound.json", "sing-box-outbound.json", "mihomo-proxy.yaml", "connection.json"] {
            #expect(FileManager.default.fileExists(atPath: connection + "/" + file), "\(file)")
        }
        #expect(!connect.stdout.contains("pw-open") && !connect.stderr.contains("pw-open"))
    }
}
