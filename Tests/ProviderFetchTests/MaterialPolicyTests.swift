import Foundation
import Testing
@testable import ProviderFetch
@testable import ProviderSim

/// A compromised panel's commands never reach a VPN client's file: the allow-lists of
/// ``WireGuardSanitizer`` and ``OpenVPNSanitizer`` behind ``MaterialPolicy``, checked on the
/// simulator's hostile answers with wg-quick's and OpenVPN's own parsers.
@Suite(.serialized) struct MaterialPolicyTests {
    typealias C = ProviderSimulator.Credentials

    /// wg-quick's own `parse_options` (taken from the installed script, run in bash) on `file`:
    /// the hook arrays, SaveConfig and Table it would act on. nil when wg-quick is not installed.
    static func wgQuickHooks(_ file: String) async throws -> String? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/wg-quick") else { return nil }
        let script = """
            set -e; shopt -s extglob; export LC_ALL=C
            eval "$(sed -n '/^die()/,/^}/p;/^parse_options()/,/^}/p;/^read_bool()/,/^}/p' /usr/bin/wg-quick)"
            PRE_UP=( ); POST_UP=( ); PRE_DOWN=( ); POST_DOWN=( ); SAVE_CONFIG=0; TABLE=""
            parse_options "$1"
            echo "PRE_UP=${#PRE_UP[@]} POST_UP=${#POST_UP[@]} PRE_DOWN=${#PRE_DOWN[@]} POST_DOWN=${#POST_DOWN[@]} SAVE_CONFIG=$SAVE_CONFIG TABLE=$TABLE"
            """
        return try await ConnectTests.run("bash", ["-c", script, "bash", file])?.output
    }

    @Test func aHostileWireGuardConfigLosesEveryHookAndWgQuickSeesNone() async throws {
        let (simulator, fetcher, specs) = try await ConnectTests.world { $0.hostileMaterial = true }
        defer { Task { await simulator.stop() } }
        let server = try #require(try await ConnectTests.servers(fetcher, specs[1]).first { $0.providerID == "4" })
        let material = try await fetcher.connect(server, spec: specs[1])
        let config = try #require(material.files.first { $0.kind == "wireguard" }).contents
        for hook in ["PreUp", "PostUp", "PreDown", "PostDown", "SaveConfig", "Table", "pwned"] {
            #expect(!config.lowercased().contains(hook.lowercased()), "\(hook) survived:\n\(config)")
        }
        #expect(config.contains("PrivateKey = \(C.wireguardPrivateKey)") && config.contains("PresharedKey = \(C.wireguardPresharedKey)"))
        #expect(config.contains("Endpoint = 127.0.1.4:51820") && config.contains("PersistentKeepalive = 25"))
        for key in ["PreUp", "PostUp", "PreDown", "PostDown", "SaveConfig", "Table"] {
            #expect(material.notes.contains { $0.lowercased().hasPrefix("wireguard: '\(key.lowercased())' removed") }, "\(key): \(material.notes)")
        }
        #expect(!material.notes.joined().contains(C.wireguardPrivateKey))
        let directory = try ConnectTests.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try ConnectTests.write(material, to: directory)
        let path = directory.appendingPathComponent("probe.conf").path
        guard let hooks = try await Self.wgQuickHooks(path), let strip = try await ConnectTests.run("wg-quick", ["strip", path]) else {
            Issue.record("wireguard-tools is not installed: the file was not checked by wg-quick (CI installs it)")
            return
        }
        #expect(hooks.contains("PRE_UP=0 POST_UP=0 PRE_DOWN=0 POST_DOWN=0 SAVE_CONFIG=0 TABLE="), "\(hooks)")
        #expect(strip.status == 0 && strip.output.contains("PublicKey = OZ6GtNEINRnolfSMUZW5nHyi+QTc7L5WzwsllqN0wnM="), "\(strip.output)")
        // The same served file, unsanitised, is what wg-quick would have run: the check has teeth.
        let raw = directory.appendingPathComponent("raw0.conf")
        try ProviderSimulator.wireguardConfig(endpoint: "127.0.1.4:51820", hostile: true).write(to: raw, atomically: true, encoding: .utf8)
        #expect(try await Self.wgQuickHooks(raw.path)?.contains("PRE_UP=1 POST_UP=1 PRE_DOWN=1 POST_DOWN=1 SAVE_CONFIG=1 TABLE=off") == true)
    }

    @Test func allowScriptsKeepsTheHooksAndSaysSo() async throws {
        let (simulator, fetcher, specs) = try await ConnectTests.world { $0.hostileMaterial = true }
        defer { Task { await simulator.stop() } }
        let server = try #require(try await ConnectTests.servers(fetcher, specs[1]).first { $0.providerID == "4" })
        let material = try await fetcher.connect(server, spec: specs[1], allowScripts: true)
        let config = try #require(material.files.first { $0.kind == "wireguard" }).contents
        #expect(config.contains("PreUp = touch /tmp/probe-pwned-preup") && config.contains("postup = touch"))
        #expect(material.notes.contains { $0.hasPrefix("provider commands kept because of --allow-scripts: PreUp, postup, PREDOWN, PostDown, SaveConfig, Table") }, "\(material.notes)")
    }

    @Test func aHostileOpenVPNProfileLosesEveryProgramFileAndDirectoryAndOpenVPNParsesTheRest() async throws {
        let (simulator, fetcher, specs) = try await ConnectTests.world { $0.hostileMaterial = true }
        defer { Task { await simulator.stop() } }
        let server = try #require(try await ConnectTests.servers(fetcher, specs[1]).first { $0.providerID == "1" })
        let material = try await fetcher.connect(server, spec: specs[1])
        let profile = try #require(material.files.first { $0.kind == "openvpn" }).contents
        #expect(!profile.contains("pwned") && !profile.contains("/etc/") && !profile.contains("management") && !profile.contains("cd /tmp"), "\(profile)")
        #expect(profile.contains("<ca>\n-----BEGIN CERTIFICATE-----") && profile.contains("remote 127.0.1.1 1194"))
        for option in ["script-security", "up", "down", "route-up", "setenv opt tls-verify", "plugin", "log", "log-append", "status", "writepid",
                       "cd", "config", "ipchange", "client-connect", "learn-address", "auth-user-pass-verify", "management", "ca"] {
            #expect(material.notes.contains { $0.contains("'\(option)' removed") }, "\(option): \(material.notes)")
        }
        let directory = try ConnectTests.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try ConnectTests.write(material, to: directory)
        let path = directory.appendingPathComponent("profile.ovpn").path
        // OpenVPN's own parser reads what was written (its remote is on loopback; killed after 3 s).
        guard let run = try await ConnectTests.run("openvpn", ["--config", path, "--verb", "4", "--dev", "null", "--route-noexec", "--ifconfig-noexec"], timeout: 3) else {
            Issue.record("openvpn is not installed: the profile was not checked by OpenVPN (CI installs it)")
            return
        }
        #expect(!run.output.contains("Options error") && run.output.contains("link remote: [AF_INET]127.0.1.1:1194"), "\(run.output)")
        #expect(!run.output.contains("pwned") && !run.output.contains("probe-pwned"), "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/probe-pwned.log"))
    }

    @Test func openVPNWordsAreReadAsOpenVPNReadsThem() {
        let profile = """
            remote 192.0.2.1 1194
            u\\p /tmp/a
            "up" /tmp/b
            'do'wn /tmp/c
            --plugin /tmp/d.so
              ;up /tmp/commented
            # up /tmp/commented
            setenv opt up /tmp/e
            setenv-safe opt down /tmp/f
            setenv FORWARD_COMPATIBLE 1
            verb 3 # a comment
            tls-auth [inline] 1
            tls-auth /etc/ta.key 1
            auth-user-pass /etc/shadow
            http-proxy 192.0.2.9 3128 /etc/proxy-auth basic
            up\u{1B}]0;x /tmp/g
            <connection>
            remote 192.0.2.2 443 tcp
            up /tmp/h
            </connection>
            <up>
            /tmp/i
            </up>
            <ca>
            -----BEGIN CERTIFICATE-----
            </ca>
            up /tmp/j
            -----END CERTIFICATE-----
            </ca>
            <tls-auth>
            -----BEGIN OpenVPN Static key V1-----
            </tls-auth>
            """
        let clean = OpenVPNSanitizer(profile)
        #expect(clean.text == """
            remote 192.0.2.1 1194
            setenv FORWARD_COMPATIBLE 1
            verb 3
            tls-auth [inline] 1
            auth-user-pass
            http-proxy 192.0.2.9 3128
            <connection>
            remote 192.0.2.2 443 tcp
            </connection>
            <ca>
            -----BEGIN CERTIFICATE-----
            </ca>
            <tls-auth>
            -----BEGIN OpenVPN Static key V1-----
            </tls-auth>

            """, "\(clean.text)")
        #expect(clean.notes.count == 15, "\(clean.notes)")
        #expect(clean.notes.contains("openvpn: line 19: 'up' removed (runs a program; --allow-scripts keeps it)"))
        #expect(clean.notes.contains("openvpn: line 8: 'setenv opt up' removed (runs a program; --allow-scripts keeps it)"))
        #expect(clean.notes.contains("openvpn: line 16: removed (a control character in it)"))
        #expect(clean.notes.contains("openvpn: line 21: <up> removed (not an inline block probe hands over)"))
        // `up /tmp/j` is outside any block once the first `</ca>` closed it, as OpenVPN reads it.
        #expect(clean.notes.contains("openvpn: line 27: 'up' removed (runs a program; --allow-scripts keeps it)"))
        #expect(OpenVPNProfileWords.split(#"a "b c" 'd\e' f\ g "h\"i" #x"#) == ["a", "b c", #"d\e"#, "f g", #"h"i"#])
        #expect(OpenVPNProfileWords.split(#"a "b"#) == nil)
        #expect(OpenVPNProfileWords.join(["up", "a b", #"c"d"#, "#e"]) == ##"up "a b" "c\"d" "#e""##)
    }

    @Test func wireGuardKeysAreMatchedWithoutCaseAndValuesAreChecked() {
        let key = C.wireguardPrivateKey
        let config = """
            [interface]
            privatekey = \(key)
            Address = 198.19.0.2/32, fc00:bbbb::2/128
            Address = $(touch /tmp/x)
            DNS = 198.19.0.1, example.com
            DNS = *
            MTU = 1420
            MTU = 12
            FwMark = 0x1234
            Table = 1234
            [Peer]
            PublicKey = \(key)
            PostUp = touch /tmp/in-peer
            AllowedIPs = 0.0.0.0/0
            Endpoint = [2001:db8::1]:51820
            Endpoint = host.example.net:51820
            Endpoint = a b:1
            PersistentKeepalive = off
            Foo = bar
            [Wat]
            PostUp = touch /tmp/in-unknown
            """
        let clean = WireGuardSanitizer(config)
        #expect(clean.text == """
            [Interface]
            PrivateKey = \(key)
            Address = 198.19.0.2/32, fc00:bbbb::2/128
            DNS = 198.19.0.1, example.com
            MTU = 1420
            FwMark = 0x1234

            [Peer]
            PublicKey = \(key)
            AllowedIPs = 0.0.0.0/0
            Endpoint = [2001:db8::1]:51820
            Endpoint = host.example.net:51820
            PersistentKeepalive = off

            """, "\(clean.text)")
        #expect(clean.isUsable)
        #expect(clean.notes == [
            "wireguard: line 4: Address removed (not a list of addresses with prefix lengths)",
            "wireguard: line 6: DNS removed (not a list of name servers or search domains)",
            "wireguard: line 8: MTU removed (not an MTU (576-65535))",
            "wireguard: 'Table' removed (changes the routing table; --allow-scripts keeps it)",
            "wireguard: 'PostUp' removed (runs a program as root; --allow-scripts keeps it)",
            "wireguard: line 17: Endpoint removed (not HOST:PORT)",
            "wireguard: line 19: 'Foo' removed (not a key probe hands over in [Peer])",
            "wireguard: line 20: section '[Wat]' removed (not [Interface] or [Peer])",
        ], "\(clean.notes)")
        #expect(!WireGuardSanitizer("[Interface]\nPrivateKey = short\n[Peer]\nPublicKey = \(key)\n").isUsable)
        #expect(WireGuardKey.isValid(key))
        #expect(!WireGuardKey.isValid(String(key.dropLast()) + "A"))
    }

    @Test func aShareURIOrHostWithALineBreakIsRefused() throws {
        let server = Server(provider: "p", id: "1", name: "n", host: "192.0.2.1")
        let uri = ProviderFetcher.keyConnection("vless://id@192.0.2.1:443?security=tls\nup /tmp/x#name", server: server, kind: "uri")
        #expect(throws: ProviderError.self) { try MaterialPolicy.apply(uri, allowScripts: false) }
        do {
            _ = try MaterialPolicy.apply(uri, allowScripts: true)
        } catch {
            #expect(error.message.contains("uri: refused (a newline or control character inside the share URI)"), "\(error.message)")
        }
        var hostile = ProviderFetcher.keyConnection("vless://id@192.0.2.1:443#ok", server: server, kind: "uri")
        #expect(try MaterialPolicy.apply(hostile, allowScripts: false).files.map(\.kind) == ["uri"])
        hostile.host = "127.0.0.1\0.evil.example"
        #expect(throws: ProviderError.self) { try MaterialPolicy.apply(hostile, allowScripts: false) }
    }
}
