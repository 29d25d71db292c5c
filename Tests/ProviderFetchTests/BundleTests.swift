import Foundation
import Testing
@testable import ProviderFetch

/// The readers of what users hold (issue 25): wg-quick files, OpenVPN profiles, share links and
/// subscriptions, Clash/mihomo YAML, sing-box JSON, zips; and hostile bundles.
@Suite struct BundleTests {
    static let key = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
    static let peer = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
    static let uuid = "b831381d-6324-4d53-ad4f-8cda48b30811"

    @Test func aWireGuardFileIsOneServerPerEndpoint() {
        let one = "[Interface]\nPrivateKey = \(Self.key)\nAddress = 198.19.0.2/32\n\n[Peer]\nPublicKey = \(Self.peer)\nEndpoint = [2001:db8::5]:51820\n"
        let (entries, problems) = WireGuardBundle.entries(one, path: "de-fra-wg-001.conf")
        #expect(problems.isEmpty && entries.count == 1)
        #expect(entries[0].host == "2001:db8::5" && entries[0].port == 51_820 && entries[0].protocol == "wireguard" && entries[0].transport == "udp")
        #expect(entries[0].id == "de-fra-wg-001.conf" && entries[0].name == "de-fra-wg-001" && entries[0].country == "DE")
        let two = one + "\n[Peer]\nPublicKey = \(Self.peer)\nEndpoint = vpn.example.net:443\n"
        let pair = WireGuardBundle.entries(two, path: "x/multi.conf").0
        #expect(pair.map(\.id) == ["x/multi.conf#1", "x/multi.conf#2"] && pair[1].host == "vpn.example.net" && pair[1].port == 443)
        #expect(WireGuardBundle.entries("[Interface]\nPrivateKey = \(Self.key)\n[Peer]\nPublicKey = \(Self.peer)\n", path: "a.conf").1 == ["a.conf: no [Peer] Endpoint: skipped"])
        #expect(WireGuardBundle.entries("[Peer]\nEndpoint = 1.2.3.4:1\n", path: "b.conf").1 == ["b.conf: no [Interface] PrivateKey: skipped"])
        let bad = WireGuardBundle.entries("[Interface]\nPrivateKey = k\n[Peer]\nEndpoint = a b:99999\n", path: "c.conf").1
        #expect(bad.count == 1 && bad[0].hasPrefix("c.conf:4: Endpoint"))
    }

    static let profile = """
        client
        dev tun
        proto udp
        port 1194
        remote 192.0.2.1
        remote 192.0.2.2 443 tcp
        remote-random
        <connection>
        remote 192.0.2.3 1195
        proto tcp-client
        </connection>
        <connection>
        remote 192.0.2.4
        </connection>
        <ca>
        remote 192.0.2.99 1
        -----END CERTIFICATE-----
        </ca>
        """

    @Test func anOpenVPNProfileIsOneServerPerRemoteAndHandsOverOnlyTheChosenOne() {
        let (entries, problems) = OpenVPNBundle.entries(Self.profile, path: "us1234.nordvpn.com.udp.ovpn")
        #expect(problems.isEmpty)
        #expect(entries.map(\.host) == ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"])  // nothing from inside <ca>
        #expect(entries.map(\.port) == [1194, 443, 1195, 1194])
        #expect(entries.map(\.transport) == ["udp", "tcp", "tcp", "udp"])
        #expect(entries[0].country == "US")
        let second = OpenVPNBundle.profile(Self.profile, keeping: 1)
        #expect(second.contains("remote 192.0.2.2 443 tcp") && !second.contains("remote 192.0.2.1") && !second.contains("remote-random"))
        #expect(!second.contains("<connection>") && second.contains("<ca>\nremote 192.0.2.99 1\n"))
        let third = OpenVPNBundle.profile(Self.profile, keeping: 2)
        #expect(third.contains("<connection>\nremote 192.0.2.3 1195\nproto tcp-client\n</connection>"))
        #expect(!third.contains("192.0.2.4") && !third.contains("remote 192.0.2.1\n") && !third.contains("192.0.2.2"))
        #expect(OpenVPNBundle.entries("client\ndev tun\n", path: "x.ovpn").1 == ["x.ovpn: no 'remote': skipped"])
    }

    @Test func everyShareLinkSchemeIsRead() throws {
        let vmessJSON = #"{"v":"2","ps":"vm","add":"192.0.2.4","port":"443","id":"\#(Self.uuid)","aid":"0","net":"ws","path":"/v","tls":"tls","sni":"c.example"}"#
        let links = [
            "vless://\(Self.uuid)@192.0.2.1:443?security=reality&pbk=PUBKEY&sid=01ab&fp=chrome&sni=a.example&type=tcp&flow=xtls-rprx-vision#%F0%9F%87%A9%F0%9F%87%AA%20Frankfurt",
            "trojan://pass%40word@192.0.2.2:443?security=tls&sni=b.example&type=grpc&serviceName=svc#NL%20Amsterdam",
            "ss://" + Data("aes-128-gcm:sspass".utf8).base64EncodedString().replacingOccurrences(of: "=", with: "") + "@192.0.2.3:8388#SS",
            "ss://" + Data("chacha20-ietf-poly1305:legacy@192.0.2.5:8389".utf8).base64EncodedString() + "#legacy",
            "vmess://" + Data(vmessJSON.utf8).base64EncodedString(),
            "hy2://hypass@[2001:db8::7]:8443?sni=d.example&insecure=1#HY",
            "tuic://\(Self.uuid):tupass@192.0.2.8:8444?sni=e.example&congestion_control=bbr#TU",
        ]
        let entries = try links.map { try ShareLink.entry($0).get() }
        #expect(entries.map(\.protocol) == ["vless", "trojan", "shadowsocks", "shadowsocks", "vmess", "hysteria2", "tuic"])
        #expect(entries.map(\.name) == ["🇩🇪 Frankfurt", "NL Amsterdam", "SS", "legacy", "vm", "HY", "TU"])
        #expect(entries.map(\.country) == ["DE", "NL", nil, nil, nil, nil, nil])
        #expect(entries.map(\.transport) == ["tcp", "grpc", "tcp", "tcp", "ws", "udp", "udp"])
        #expect(entries[5].host == "2001:db8::7" && entries[5].id == "HY@[2001:db8::7]:8443")
        // The outbounds built from them.
        func outbound(_ index: Int) throws -> ProxyOutbound {
            guard case .proxy(let fields) = entries[index].material else { throw ShareLink.Problem("not a proxy") }
            return try #require(ProxyOutbound(fields: fields))
        }
        let vless = try outbound(0)
        #expect(vless.uri == links[0])  // as served
        #expect(vless.xray?.value(at: "streamSettings.security")?.string == "reality")
        #expect(vless.xray?.value(at: "streamSettings.realitySettings.publicKey")?.string == "PUBKEY")
        #expect(vless.singBox?.value(at: "tls.reality.public_key")?.string == "PUBKEY")
        #expect(vless.mihomo?.value(at: "reality-opts.short-id")?.string == "01ab")
        #expect(try outbound(1).credential == "pass@word")
        #expect(try outbound(3).cipher == "chacha20-ietf-poly1305" && outbound(3).credential == "legacy")
        #expect(try outbound(4).xray?.value(at: "streamSettings.wsSettings.path")?.string == "/v")
        #expect(try outbound(5).xray == nil && outbound(5).singBox?.value(at: "type")?.string == "hysteria2" && outbound(5).mihomo?.value(at: "password")?.string == "hypass")
        #expect(try outbound(6).singBox?.value(at: "uuid")?.string == Self.uuid && outbound(6).singBox?.value(at: "password")?.string == "tupass")
    }

    @Test func subscriptionsDecodeInEveryBase64FormAndNameTheirBadLines() {
        let links = "trojan://pw@192.0.2.2:443#one\nvless://\(Self.uuid)@192.0.2.1:443?type=ws#two\nbogus://x\nvless://\(Self.uuid)@192.0.2.9#noport\nvmess://!!!\n"
        let standard = Data(links.utf8).base64EncodedString()
        let urlSafe = standard.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let wrapped = stride(from: 0, to: standard.count, by: 20).map { String(Array(standard)[$0..<min($0 + 20, standard.count)]) }.joined(separator: "\n")
        for body in [links, standard, urlSafe, wrapped] {
            let (entries, problems) = ShareLink.subscription(body, source: "sub")
            #expect(entries.map(\.name) == ["one", "two"], "\(body.prefix(30))")
            #expect(problems == ["sub: entry 3: unknown scheme 'bogus': skipped", "sub: entry 4: vless link has no port: skipped",
                                 "sub: entry 5: vmess payload is not base64 JSON: skipped"])
        }
        #expect(ShareLink.entry("trojan://pw@192.0.2.2:443#a\u{0}b").isFailure)
    }

    @Test func clashYAMLInBlockAndFlowStyleWithoutExpandingAliases() throws {
        let yaml = """
            port: 7890
            proxy-providers:
              remote: {type: http, url: "http://192.0.2.200/p"}
            proxies:
              # block style
              - name: "ss one"   # a comment
                type: ss
                server: 192.0.2.11
                port: 8388
                cipher: aes-128-gcm
                password: 'it''s'
              - {name: vm, type: vmess, server: 192.0.2.12, port: 443, uuid: \(Self.uuid), alterId: 0, cipher: auto, tls: true, network: ws, ws-opts: {path: /p, headers: {Host: h.example}}}
              - name: re
                type: vless
                server: 192.0.2.13
                port: 443
                uuid: \(Self.uuid)
                tls: true
                servername: r.example
                reality-opts:
                  public-key: PUB
                  short-id: 0a
              - name: wg
                type: wireguard
                server: 192.0.2.14
                port: 51820
                ip: 198.19.0.3
                private-key: \(Self.key)
                public-key: \(Self.peer)
              - name: aliased
                <<: *base
                type: ss
              - name: h
                type: http
                server: 192.0.2.15
                port: 8080
            proxy-groups:
              - name: auto
            """
        let (entries, problems) = ProxyDocuments.clash(yaml, source: "clash.yaml")
        #expect(entries.map(\.name) == ["ss one", "vm", "re", "wg"])
        #expect(entries.map(\.protocol) == ["shadowsocks", "vmess", "vless", "wireguard"])
        guard case .proxy(let ss) = entries[0].material, case .proxy(let vm) = entries[1].material, case .proxy(let re) = entries[2].material,
              case .wireguard(let wg) = entries[3].material else { Issue.record("materials"); return }
        #expect(ss["password"]?.string == "it's")
        #expect(ProxyOutbound(fields: vm)?.xray?.value(at: "streamSettings.wsSettings.headers.Host")?.string == "h.example")
        #expect(ProxyOutbound(fields: re)?.realityPublicKey == "PUB")
        #expect(wg.contains("Endpoint = 192.0.2.14:51820") && wg.contains("Address = 198.19.0.3/32"))
        #expect(problems == [
            "clash.yaml: proxy-providers are not fetched (give their URLs with --from)",
            "clash.yaml: entry 5: uses a YAML alias or merge key (not expanded): skipped",
            "clash.yaml: entry 6: type 'http' is not read (ss, vmess, vless, trojan, hysteria2, tuic, wireguard): skipped",
        ])
        // Deep nesting and aliases everywhere cost nothing and end in a line.
        let deep = "proxies:\n  - " + String(repeating: "{a: ", count: 5_000) + "*x" + String(repeating: "}", count: 5_000) + "\n"
        #expect(ProxyDocuments.clash(deep, source: "deep").0.isEmpty)
        // What the fuzzer found: flow collections past the depth bound inside a flow sequence made
        // the reader loop without consuming them (memory without bound); it is now one skipped entry.
        let fuzzed = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/Corpus/bundle/flow-too-deep-oom").path, encoding: .isoLatin1)
        _ = ProxyDocuments.clash(fuzzed, source: "fuzzed")
        let wide = "proxies:\n  - [" + String(repeating: "[", count: 40) + String(repeating: "{a: [b, {c: d}]}, ", count: 2_000) + "]\n"
        #expect(ProxyDocuments.clash(wide, source: "wide").0.isEmpty)
        let nested = "proxies:\n" + (0..<200).map { String(repeating: "  ", count: $0 + 1) + "- a:" }.joined(separator: "\n") + "\n"
        #expect(ProxyDocuments.clash(nested, source: "nested").0.isEmpty)
    }

    @Test func singBoxOutboundsWithAServer() {
        let json = """
            {"outbounds": [{"type": "selector", "tag": "select", "outbounds": ["a"]},
             {"type": "vless", "tag": "a", "server": "192.0.2.21", "server_port": 443, "uuid": "\(Self.uuid)",
              "tls": {"enabled": true, "server_name": "s.example", "reality": {"enabled": true, "public_key": "PK", "short_id": "1"}}},
             {"type": "shadowsocks", "tag": "b", "server": "192.0.2.22", "server_port": 8388, "method": "aes-256-gcm", "password": "x"},
             {"type": "socks", "tag": "c", "server": "192.0.2.23", "server_port": 1080},
             {"type": "direct", "tag": "direct"}]}
            """
        let (entries, problems) = ProxyDocuments.singBox(json, source: "sb.json")
        #expect(entries.map(\.name) == ["a", "b"] && entries.map(\.port) == [443, 8388])
        #expect(problems == ["sb.json: outbound 4: type 'socks' is not read: skipped"])
    }

    /// Builds a zip with Python's zipfile (stored and deflate), entries given as name -> data, on a
    /// thread of its own (a blocking wait on Swift's cooperative pool would starve the provider
    /// simulators other suites run in this process).
    static func zip(_ files: [(String, Data, Bool)]) async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try zipNow(files) }) }.start()
        }
    }

    static func zipNow(_ files: [(String, Data, Bool)]) throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("probe-zip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var script = "import zipfile\nz = zipfile.ZipFile('\(directory.path)/out.zip', 'w')\n"
        for (index, (name, data, deflate)) in files.enumerated() {
            try data.write(to: directory.appendingPathComponent("in\(index)"))
            let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
            script += "z.writestr(zipfile.ZipInfo('\(escaped)'), open('\(directory.path)/in\(index)', 'rb').read(), \(deflate ? "zipfile.ZIP_DEFLATED" : "zipfile.ZIP_STORED"))\n"
        }
        script += "z.close()\n"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        try process.run()
        process.waitUntilExit()
        return Array(try Data(contentsOf: directory.appendingPathComponent("out.zip")))
    }

    @Test func aZipIsReadThroughZlibWithinItsBounds() async throws {
        let conf = Data("[Interface]\nPrivateKey = \(Self.key)\n[Peer]\nPublicKey = \(Self.peer)\nEndpoint = 192.0.2.31:51820\n".utf8)
        let ovpn = Data(Self.profile.utf8)
        let archive = try await Self.zip([
            ("wg/se-got-wg-001.conf", conf, true), ("nord/us1.ovpn", ovpn, false), ("../evil.conf", conf, true), ("/etc/abs.conf", conf, false),
            ("readme.txt", Data("hello".utf8), true),
        ])
        let (entries, problems) = BundleReader.entries(of: archive, path: "bundle.zip", zipNamesOnly: true)
        #expect(entries.map(\.id) == ["wg/se-got-wg-001.conf", "nord/us1.ovpn#1", "nord/us1.ovpn#2", "nord/us1.ovpn#3", "nord/us1.ovpn#4"])
        #expect(problems.contains("bundle.zip: entry '../evil.conf': a name with '..', an absolute path or a control character: skipped"))
        #expect(problems.contains("bundle.zip: entry '/etc/abs.conf': a name with '..', an absolute path or a control character: skipped"))
        #expect(problems.contains { $0.hasPrefix("readme.txt: not a wg-quick file") })
        // The material is never shown, not even in a dump.
        #expect(!String(describing: entries[0]).contains(Self.key) && !String(reflecting: entries[0]).contains(Self.key))
        // A zip bomb: 256 MiB of zeros deflates to about 256 KiB; inflation stops at the 64 MiB budget.
        let bomb = try await Self.zip([("bomb.conf", Data(count: 256 << 20), true), ("after.conf", conf, true)])
        #expect(bomb.count < 1 << 20)
        let (kept, said) = BundleReader.entries(of: bomb, path: "bomb.zip", zipNamesOnly: true)
        #expect(kept.map(\.id) == ["after.conf"])  // the bomb costs only itself
        #expect(said.contains { $0.contains("bomb.conf") && $0.contains("zip bomb") }, "\(said)")
        // Not a zip, a cut one, NUL bytes.
        #expect((try? ZipArchive(Array("PK\u{3}\u{4}nothing".utf8), source: "x.zip")) == nil)
        #expect(BundleReader.entries(of: Array(archive.prefix(archive.count / 2)), path: "cut.zip").1.first?.contains("not a zip archive") == true)
        #expect(BundleReader.entries(of: Array("[Interface]\nPrivateKey = \(Self.key)\n[Peer]\nEndpoint = 1.2.3.4:1\n\u{0}".utf8), path: "nul.conf").1
            == ["nul.conf: holds NUL bytes: skipped"])
    }

    @Test func countriesFromFlagsAndLeadingCodes() {
        #expect(BundleEntry.country(from: "🇯🇵 Tokyo 01") == "JP")
        #expect(BundleEntry.country(from: "se-got-wg-001") == "SE")
        #expect(BundleEntry.country(from: "de123.nordvpn.com") == "DE")
        #expect(BundleEntry.country(from: "SS") == nil && BundleEntry.country(from: "wg-mullvad") == nil && BundleEntry.country(from: "node") == nil)
    }
}

extension Result {
    var isFailure: Bool { if case .failure = self { true } else { false } }
}

/// The keys a handshake probe needs, read from the material users hold (issue 26).
@Suite struct ServiceKeysTests {
    static let key = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
    static let peerA = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
    static let peerB = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="
    static let psk = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="

    @Test func aWgQuickFileGivesThePeerAtTheEntrysEndpoint() throws {
        let text = """
            [Interface]
            PrivateKey = \(Self.key)   # mine
            [Peer]
            PublicKey = \(Self.peerA)
            Endpoint = 198.18.1.1:51820
            [Peer]
            PublicKey = \(Self.peerB)
            PresharedKey = \(Self.psk)
            Endpoint = [2001:db8::1]:443
            """
        guard case .wireguard(let privateKey, let server, let preshared, let port)? = ServiceKeys.wireguard(text, host: "2001:db8::1", port: 443) else {
            Issue.record("no keys")
            return
        }
        #expect(privateKey == WireGuardKey.bytes(Self.key) && server == WireGuardKey.bytes(Self.peerB))
        #expect(preshared == WireGuardKey.bytes(Self.psk) && port == 443)
        guard case .wireguard(_, let first, let none, _)? = ServiceKeys.wireguard(text, host: "198.18.1.1", port: 51_820) else {
            Issue.record("no keys")
            return
        }
        #expect(first == WireGuardKey.bytes(Self.peerA) && none == nil)
        #expect(ServiceKeys.wireguard("[Peer]\nPublicKey = \(Self.peerA)\n", host: "x", port: nil).map { _ in 1 } == nil)  // no private key
        #expect(ServiceKeys.wireguard("[Interface]\nPrivateKey = short\n[Peer]\nPublicKey = \(Self.peerA)\n", host: "x", port: nil).map { _ in 1 } == nil)
        // Never shown.
        let keys = try #require(ServiceKeys.wireguard(text, host: "198.18.1.1", port: 51_820))
        #expect(!"\(keys)".contains(Self.key.prefix(8)) && !String(reflecting: keys).contains("yAnz"))
    }

    @Test func anOpenVPNProfileGivesItsControlChannelProtection() {
        let hex = String(repeating: "0123456789abcdef", count: 32)
        let block = "-----BEGIN OpenVPN Static key V1-----\n" + stride(from: 0, to: 512, by: 32).map { index in
            String(hex[hex.index(hex.startIndex, offsetBy: index)..<hex.index(hex.startIndex, offsetBy: index + 32)])
        }.joined(separator: "\n") + "\n-----END OpenVPN Static key V1-----"
        guard case .tlsAuth(let key, let direction, let digest) = ServiceKeys.openVPNProtection("client\nkey-direction 1\nauth SHA512\n<tls-auth>\n\(block)\n</tls-auth>\n") else {
            Issue.record("no tls-auth")
            return
        }
        #expect(key.count == 256 && key[0] == 0x01 && key[1] == 0x23 && direction == 1 && digest == "SHA512")
        guard case .tlsCrypt(let cryptKey) = ServiceKeys.openVPNProtection("<tls-crypt>\n# comment\n\(block)\n</tls-crypt>") else {
            Issue.record("no tls-crypt")
            return
        }
        #expect(cryptKey.count == 256)
        if case .tlsCryptV2 = ServiceKeys.openVPNProtection("<tls-crypt-v2>\n\(block)\n</tls-crypt-v2>") {} else { Issue.record("v2 not named") }
        if case .unreadable(let why) = ServiceKeys.openVPNProtection("tls-auth ta.key 1\n") { #expect(why.contains("named by file")) } else {
            Issue.record("a key by file is not named")
        }
        if case .unreadable = ServiceKeys.openVPNProtection("<tls-auth>\nnot hex\n</tls-auth>") {} else { Issue.record("a bad key is not named") }
        if case .none = ServiceKeys.openVPNProtection("client\nremote 198.18.1.1 1194\n") {} else { Issue.record("plain is not none") }
    }
}
