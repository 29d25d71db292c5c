import Foundation
import Testing
import TestHTTP
@testable import ProviderFetch
@testable import ProviderSim

/// Provider data and mistaken files never reach the terminal raw: the real binary run as a user
/// would, against a hostile provider on loopback.
@Suite(.serialized) struct HostileOutputTests {
    typealias C = ProviderSimulator.Credentials

    /// A provider whose names and countries carry terminal escapes (OSC title, CR, erase line).
    static let escape = "\u{1B}]0;TITLE\u{07}\r\u{1B}[2Kowned \u{1B}]8;;http://192.0.2.1/\u{07}link"

    static func hostileProvider() throws -> (RawHTTPServer, String, String) {
        let names = [escape + " very long name that is cut in a narrow table", "plain", "\u{9B}31mC1"]
        let items = names.enumerated().map { index, name in
            // Port 1 on loopback: refused at once, an RTT for the ranking.
            #"{"host":"127.0.0.\#(index + 1)","port":1,"name":\#(JSONValue.string(name).text(pretty: false)),"country":\#(JSONValue.string(escape).text(pretty: false))}"#
        }
        let body = "[" + items.joined(separator: ",") + "]"
        let server = try RawHTTPServer { _, fd, _ in RawHTTPServer.json(fd, body) }
        let directory = NSTemporaryDirectory() + "probe-hostile-out-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let config = directory + "/config.json"
        try #"{"providers":[{"type":"json","name":"evil\u001b[31m","url":"\#(server.url)"}]}"#.write(toFile: config, atomically: true, encoding: .utf8)
        return (server, directory, config)
    }

    @Test(arguments: [["servers"], ["rank", "--method", "tcp"], ["--best", "--method", "tcp", "--explain"], ["--best", "--method", "tcp", "--full", "-q"],
                      ["rank", "--method", "tcp", "--explain"]])
    func providerNamesReachStdoutEscaped(command: [String]) async throws {
        let (server, directory, config) = try Self.hostileProvider()
        defer {
            server.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }
        for columns in ["200", "30"] {
            let run = try await ConnectCLITests.split(command + ["--config", config], directory, environment: ["COLUMNS": columns])
            #expect(run.status == 0, "\(command): \(run.stderr)")
            let raw = Array(run.stdout.utf8) + Array(run.stderr.utf8)
            // No ESC, BEL, CR, nor the C1 CSI (U+009B), anywhere: nothing opens an escape sequence.
            #expect(!raw.contains(0x1B) && !raw.contains(0x07) && !raw.contains(0x0D), "\(command) COLUMNS=\(columns): \(run.stdout.debugDescription)")
            #expect(!run.stdout.unicodeScalars.contains("\u{9B}") && !run.stderr.unicodeScalars.contains("\u{9B}"))
            if columns == "200", !command.contains("-q") {
                #expect(run.stdout.contains("\\u{1B}"), "\(command): \(run.stdout)")
            }
        }
    }

    @Test func aWireGuardFileGivenAsTargetsIsNamedAndNoKeyIsPrinted() async throws {
        let directory = NSTemporaryDirectory() + "probe-wg-targets-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/wg0.conf"
        try ProviderSimulator.wireguardConfig(endpoint: "127.0.0.1:51820").write(toFile: file, atomically: true, encoding: .utf8)
        let run = try await ConnectCLITests.split(["--best", "--targets", file], directory)
        #expect(run.status == 64, "\(run.stderr)")
        #expect(!run.stderr.contains(C.wireguardPrivateKey) && !run.stderr.contains(C.wireguardPresharedKey) && !run.stdout.contains(C.wireguardPrivateKey))
        #expect(run.stderr.contains("this is a wg-quick configuration, not a list of targets: give it with --from \(file)"), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count <= 3, "\(run.stderr)")
        // A targets file with a stray secret among good lines: the secret is redacted, the rest probed.
        let mixed = directory + "/targets.txt"
        try "127.0.0.1:1\nPrivateKey = \(C.wireguardPrivateKey)\n\(C.wireguardPresharedKey)\npassword: hunter2hunter2\n".write(toFile: mixed, atomically: true, encoding: .utf8)
        let second = try await ConnectCLITests.split(["rank", "--method", "tcp", "--targets", mixed], directory)
        #expect(second.status == 0, "\(second.stderr)")
        for secret in [C.wireguardPrivateKey, C.wireguardPresharedKey, "hunter2hunter2", String(C.wireguardPrivateKey.prefix(20))] {
            #expect(!second.stderr.contains(secret) && !second.stdout.contains(secret), "\(secret) in \(second.stderr)")
        }
        #expect(second.stderr.contains("<redacted>"), "\(second.stderr)")
    }

    @Test func eachKindOfConfigurationIsRecognised() {
        let vmess = "vmess://" + Data(#"{"add":"192.0.2.1","port":"443","id":"x","ps":"a"}"#.utf8).base64EncodedString()
        let cases: [(String, SourceKind?)] = [
            (ProviderSimulator.wireguardConfig(endpoint: "192.0.2.1:51820"), .wireguard),
            (ProviderSimulator.openvpnProfile(remote: "192.0.2.1"), .openvpn),
            ("proxies:\n  - {name: a, type: ss, server: 192.0.2.1, port: 8388}\n", .clash),
            (#"{"outbounds": [{"type": "vless", "server": "192.0.2.1"}]}"#, .singBox),
            ("trojan://pw@192.0.2.1:443#a\nss://YWVzLTI1Ni1nY206cHc@192.0.2.2:8388#b\n", .subscription),
            (Data("\(vmess)\nvless://id@192.0.2.3:443#c\n".utf8).base64EncodedString(), .subscription),
            ("vpn1.example.net\n192.0.2.7:443\n[2001:db8::1]:443\n# a comment\n", nil),
            ("abcdefghijklmnopqrstuvwxyz\n", nil),
        ]
        for (text, kind) in cases { #expect(SourceKind.detect(Array(text.utf8)) == kind, "\(text.prefix(40))") }
        #expect(SourceKind.detect([0x50, 0x4B, 0x03, 0x04, 0, 0]) == .zip)
    }

    @Test func aHostWithANulByteIsSkippedNotProbedAsItsPrefix() throws {
        let problems = ServerProblems()
        let items = try JSONValue.parse(Data(#"[{"host":"127.0.0.1\u0000.evil.example","port":443},{"host":"bad host","port":443},{"host":"192.0.2.1","port":443}]"#.utf8))
        let servers = try ProviderDecoders.genericServers(items, items: nil, provider: "p", fields: .lenient, problems: problems)
        #expect(servers.map(\.host) == ["192.0.2.1"])
        #expect(problems.lines.count == 2 && problems.lines.allSatisfy { $0.contains("holds a control character, a space or nothing") }, "\(problems.lines)")
        #expect(!problems.lines.joined().contains("\0"))
    }

    /// A low `ulimit -n` is named as such: never blamed on the configuration or a provider.
    @Test(arguments: [16, 23, 30, 40])
    func aLowDescriptorLimitIsNamed(limit: Int) async throws {
        let server = try RawHTTPServer { _, fd, _ in RawHTTPServer.json(fd, #"[{"host":"127.0.0.1","port":1,"name":"one"}]"#) }
        defer { server.stop() }
        let directory = NSTemporaryDirectory() + "probe-ulimit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = directory + "/config.json"
        try #"{"providers":[{"type":"json","name":"s","url":"\#(server.url)/","request":{"path":"list"}}]}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let run = try await ConnectCLITests.split(["-c", "ulimit -n \(limit) && exec \"$0\" --best --method tcp --config \"$1\"", SecretsTests.probe, config], directory, executable: "/bin/sh")
        if run.status == 0 {
            #expect(run.stdout.hasPrefix("best: one"), "\(run.stdout)")
        } else {
            #expect(run.status == 64 && run.stderr.contains("ulimit -n is \(limit): probe needs at least"), "ulimit \(limit): \(run.status) \(run.stderr)")
        }
        #expect(!run.stderr.contains("configuration") && !run.stderr.contains("cannot read"), "\(run.stderr)")
    }
}
