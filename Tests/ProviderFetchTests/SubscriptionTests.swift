import Foundation
import Testing
import TestHTTP
@testable import ProviderFetch

/// Subscriptions fetched over HTTP on loopback (issue 25): the outbounds built from each share
/// link pass the V2Ray core's own check, the URL's token and the headers' secrets stay secret, and
/// hostile answers (a 100 MB body, junk) are one line.
@Suite(.serialized) struct SubscriptionTests {
    static let uuid = "b831381d-6324-4d53-ad4f-8cda48b30811"

    static func spec(_ json: String) throws -> (ProviderConfiguration, ProviderSpec) {
        let configuration = try ProviderConfiguration.parse(Data(json.utf8))
        return (configuration, configuration.providers[0])
    }

    @Test func eachShareLinkTypeHandsOverOutboundsTheV2RayCoreAccepts() async throws {
        let vmess = #"{"v":"2","ps":"vm","add":"192.0.2.4","port":"443","id":"\#(Self.uuid)","aid":"0","net":"ws","path":"/v","tls":"tls","sni":"c.example"}"#
        let links = [
            "vless://\(Self.uuid)@192.0.2.1:443?security=tls&sni=a.example&type=ws&path=%2Fws&host=a.example#vless",
            "trojan://pw@192.0.2.2:443?security=tls&sni=b.example&type=tcp#trojan",
            "ss://" + Data("aes-128-gcm:sspass".utf8).base64EncodedString() + "@192.0.2.3:8388#ss",
            "vmess://" + Data(vmess.utf8).base64EncodedString(),
            "hysteria2://hypw@192.0.2.5:8443?sni=d.example#hy2",
        ].joined(separator: "\n")
        let server = try RawHTTPServer { request, fd, _ in
            guard request.head.contains("GET /sub?token=TOKEN-123") && request.head.contains("X-Device: dev-SECRET") else {
                RawHTTPServer.send(fd, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            }
            let body = Data(links.utf8).base64EncodedString()
            RawHTTPServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        }
        defer { server.stop() }
        setenv("PROBE_TEST_DEVICE", "dev-SECRET", 1)
        let (configuration, spec) = try Self.spec(#"{"providers":[{"type":"subscription","name":"sub","url":"\#(server.url)/sub?token=TOKEN-123","headers":{"X-Device":"env:PROBE_TEST_DEVICE"}}]}"#)
        let fetcher = ProviderFetcher(configuration: configuration, cache: TokenCache(path: nil))
        let outcome = await fetcher.fetch(spec)
        #expect(outcome.error == nil, "\(outcome.error ?? "")")
        #expect(outcome.servers.map(\.name) == ["vless", "trojan", "ss", "vm", "hy2"])
        let encoded = String(decoding: try JSONEncoder().encode(outcome.servers), as: UTF8.self)
        #expect(!"\(outcome.servers)".contains("TOKEN-123") && !encoded.contains(Self.uuid) && !encoded.contains("TOKEN-123"))
        let directory = try ConnectTests.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for server in outcome.servers {
            let material = try await fetcher.connect(server, spec: spec)
            let kinds = material.files.map(\.kind)
            #expect(kinds.contains("uri") && kinds.contains("mihomo") && kinds.contains("sing-box"), "\(server.name): \(kinds)")
            #expect(material.files[0].contents.trimmingCharacters(in: .newlines) == links.split(separator: "\n").first { $0.hasSuffix("#" + server.name) || server.name == "vm" && $0.hasPrefix("vmess") }.map(String.init))
            // No sing-box or mihomo binary is installable here: their schemas' required keys are checked.
            let mihomo = try #require(material.files.first { $0.kind == "mihomo" }).contents
            #expect(mihomo.hasPrefix("proxies:\n  - {"))
            let entry = try JSONValue.parse(Data(mihomo.dropFirst("proxies:\n  - ".count).utf8))
            let secretKey = ["ss": "password", "vmess": "uuid", "vless": "uuid", "trojan": "password", "hysteria2": "password"]
            let mihomoType = try #require(entry["type"]?.string)
            for key in ["name", "type", "server", "port", mihomoType == "ss" ? "cipher" : "udp", secretKey[mihomoType] ?? "?"] {
                #expect(entry[key] != nil, "mihomo \(mihomoType) lacks \(key)")
            }
            let singBox = try JSONValue.parse(Data(try #require(material.files.first { $0.kind == "sing-box" }).contents.utf8))
            for key in ["type", "tag", "server", "server_port"] { #expect(singBox[key] != nil, "sing-box lacks \(key)") }
            #expect(singBox["uuid"] != nil || singBox["password"] != nil)
            guard let xray = material.files.first(where: { $0.kind == "xray" })?.contents else {
                #expect(server.protocol == "hysteria2", "\(server.name) has no xray outbound")
                continue
            }
            try await ConnectTests.checkWithV2Ray(xray, name: server.name, in: directory)
        }
    }

    @Test func hostileSubscriptionsAreOneLineAndKeepTheTokenSecret() async throws {
        let hundredMB = 100 << 20
        let server = try RawHTTPServer { request, fd, _ in
            if request.head.contains("/huge") {
                RawHTTPServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
                let chunk = [UInt8](repeating: UInt8(ascii: "A"), count: 1 << 20)
                for _ in 0..<(hundredMB >> 20) { guard RawHTTPServer.send(fd, chunk) else { return } }
            } else if request.head.contains("/junk") {
                RawHTTPServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n%%%not base64")
            } else {
                RawHTTPServer.send(fd, "HTTP/1.1 500 Oops\r\nContent-Length: 21\r\n\r\n{\"message\":\"TOKEN-9\"}")
            }
        }
        defer { server.stop() }
        for (path, expected) in [("huge", "larger than 32 MiB"), ("junk", "no server in it"), ("fail", "HTTP 500")] {
            let (configuration, spec) = try Self.spec(#"{"providers":[{"type":"subscription","name":"s","url":"\#(server.url)/\#(path)?token=TOKEN-9","timeoutSeconds":30}]}"#)
            let outcome = await ProviderFetcher(configuration: configuration, cache: TokenCache(path: nil)).fetch(spec)
            let error = try #require(outcome.error, "\(path)")
            #expect(error.contains(expected) && !error.contains("\n"), "\(path): \(error)")
            #expect(!error.contains("TOKEN-9"), "\(path): \(error)")
        }
    }

    @Test func configCheckKnowsTheNewTypes() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("probe-check-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try #"{"providers":[{"type":"files","name":"mullvad","path":"~/vpn/mullvad"},{"type":"subscription","name":"sub","url":"https://sub.example/s","headers":{"User-Agent":"x"},"tipo":1}]}"#
            .write(to: file, atomically: true, encoding: .utf8)
        chmod(file.path, 0o600)
        let (problems, _) = ConfigurationCheck.check(path: file.path)
        #expect(problems.count == 1 && problems[0].contains("unknown key 'tipo' for type subscription"), "\(problems)")
    }
}
