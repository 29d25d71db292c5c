import Foundation
import Testing

/// `probe --best --demo --connect DIR` (issue 29): the demo's pick handed over as a provider's
/// would be, with throwaway material marked as the demo's, checked by the field's own tool.
@Suite struct DemoConnectTests {
    @Test func theDemosWireGuardPickIsAThrowawayWgQuickFile() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("probe-demo-connect-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try await CLIRunner.run(["--best", "--demo", "--connect", directory.path, "--protocol", "wireguard", "--no-sticky"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("connection: wireguard 127.") && run.stderr.contains("demo: throwaway material"), "\(run.stdout) \(run.stderr)")
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("connection.json"))) as? [String: Any])
        #expect((manifest["notes"] as? [String])?.first?.hasPrefix("demo: ") == true && manifest["provider"] as? String == "demo-vpnscript")
        let name = try #require((manifest["files"] as? [String: String])?["wireguard"])
        let file = directory.appendingPathComponent(name)
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.hasPrefix("# probe demo: ") && text.contains("AllowedIPs = 198.19.255.0/24") && !text.contains("0.0.0.0/0"), "\(text)")
        let permissions = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? NSNumber
        #expect(permissions?.intValue == 0o600)
        // wg-quick itself reads it (`strip` parses the whole file without touching an interface).
        let strip = try await CLIRunner.run([], shell: "command -v wg-quick >/dev/null || exit 127; wg-quick strip '\(file.path)'")
        if strip.status != 127 {
            #expect(strip.status == 0 && strip.stdout.contains("PrivateKey = ") && strip.stdout.contains("Endpoint = 127."), "\(strip.stderr)")
        }
        // Each run's keys are fresh.
        let again = FileManager.default.temporaryDirectory.appendingPathComponent("probe-demo-connect-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: again) }
        _ = try await CLIRunner.run(["--best", "--demo", "--connect", again.path, "--protocol", "wireguard", "--no-sticky", "-q"])
        #expect(try String(contentsOf: again.appendingPathComponent(name), encoding: .utf8) != text)
    }

    @Test func theDemosOpenVPNPickIsAProfileOpenVPNReads() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("probe-demo-connect-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try await CLIRunner.run(["--best", "--demo", "--connect", directory.path, "--protocol", "openvpn", "--no-sticky"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("connection: openvpn 127.") && run.stdout.contains("/tcp in "), "\(run.stdout)")
        #expect(!run.stderr.contains("outside DIR"), "the demo's own profile needs no rewriting: \(run.stderr)")
        let profile = directory.appendingPathComponent("profile.ovpn")
        let text = try String(contentsOf: profile, encoding: .utf8)
        #expect(text.hasPrefix("# probe demo: ") && text.contains("auth-user-pass \(directory.path)/openvpn-auth.txt") && text.contains("<ca>"), "\(text)")
        let remote = try #require(text.split(separator: "\n").first { $0.hasPrefix("remote ") }).split(separator: " ")
        // OpenVPN's own parser takes the profile whole and tries the remote (the listener is gone
        // with the run: refused, after one try).
        let check = try await CLIRunner.run([], shell: "command -v openvpn >/dev/null || exit 127; cd / && timeout 10 openvpn --config '\(profile.path)' --dev null --route-noexec --ifconfig-noexec 2>&1", timeout: 20)
        if check.status == 127 {
            Issue.record("openvpn is not installed: the demo's profile was not checked by OpenVPN (CI installs it)")
        } else {
            #expect(!check.stdout.contains("Options error") && check.stdout.contains("Attempting to establish TCP connection with [AF_INET]\(remote[1]):\(remote[2])"), "\(check.stdout)")
        }
    }

    @Test func theDemosProxyPickIsAShareLinkAndOutbounds() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("probe-demo-connect-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try await CLIRunner.run(["--best", "--demo", "--connect", directory.path, "--protocol", "vmess", "--no-sticky", "-q"])
        #expect(run.status == 0, "\(run.stderr)")
        let uri = try String(contentsOf: directory.appendingPathComponent("uri.txt"), encoding: .utf8)
        #expect(uri.hasPrefix("vmess://"))
        let xray = directory.appendingPathComponent("xray-outbound.json")
        #expect(FileManager.default.fileExists(atPath: xray.path))
        // The V2Ray core's own parser (`v2ray -test`) on a configuration around the outbound.
        let config = directory.appendingPathComponent("v2ray-test.json")
        let outbound = try String(contentsOf: xray, encoding: .utf8)
        try #"{"log":{"loglevel":"none"},"inbounds":[{"port":10808,"listen":"127.0.0.1","protocol":"socks","settings":{"udp":false}}],"outbounds":[\#(outbound)]}"#
            .write(to: config, atomically: true, encoding: .utf8)
        let test = try await CLIRunner.run([], shell: "command -v v2ray >/dev/null || exit 127; v2ray -test -config '\(config.path)' 2>&1")
        if test.status == 127 {
            Issue.record("v2ray is not installed: the demo's Xray outbound was not checked by the V2Ray core (CI installs it)")
        } else {
            #expect(test.status == 0 && test.stdout.contains("Configuration OK"), "\(test.stdout)")
        }
    }
}
