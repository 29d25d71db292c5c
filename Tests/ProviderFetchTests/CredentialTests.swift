import Foundation
import Testing
import TestHTTP
@testable import ProviderFetch
@testable import ProviderSim

/// Credentials never leave their provider's origin; hostile answers are one line for that
/// provider, every other provider still counts. Real HTTP on loopback.
@Suite(.serialized) struct CredentialTests {
    typealias C = ProviderSimulator.Credentials
    static let staticToken = "static-TOKEN-0011"

    /// The simulator and a second origin that records every request that reaches it.
    static func world() async throws -> (ProviderSimulator, RawHTTPServer) {
        let simulator = try ProviderSimulator()
        try await simulator.start()
        let elsewhere = try RawHTTPServer { _, fd, _ in RawHTTPServer.json(fd, #"{"data":[]}"#) }
        simulator.crossOrigin = elsewhere.url
        return (simulator, elsewhere)
    }

    /// Every credential the simulator's accounts use, in every form probe sends it.
    static let needles = [C.xmplusPassword, C.xmplusAPIKey, MD5.hex(C.xmplusAPIKey), C.vpnscriptPassword, C.netmimicPassword,
                          C.xpaySecret, "xpTOKEN", "nmTOKEN", "vsTOKEN", staticToken, "Authorization", "XMPus-API-Token"]

    static func bearer(_ url: String, path: String, name: String = "bearer") -> String {
        #",{"type": "json", "name": "\#(name)", "url": "\#(url)", "auth": {"type": "bearer", "token": "\#(staticToken)"}, "request": {"path": "\#(path)"}, "timeoutSeconds": 10}"#
    }

    @Test func aRedirectToAnotherOriginIsNotFollowedAndTheOtherHostGetsNoCredential() async throws {
        let (simulator, elsewhere) = try await Self.world()
        defer { Task { await simulator.stop() }; elsewhere.stop() }
        simulator.redirectVPNScriptServers = true
        let configuration = try FetchTests.configuration(simulator.url, extra: Self.bearer(simulator.url, path: "/fault/redirect-cross-origin"))
        let outcomes = await ProviderFetcher(configuration: configuration, cache: TokenCache(path: nil)).fetchAll(deadline: .seconds(20))
        let vs = try #require(outcomes.first { $0.provider == "vs" })
        #expect(vs.error == "redirected to \(elsewhere.url)/api/servers: not followed (credentials stay with \(simulator.url))")
        let bearer = try #require(outcomes.first { $0.provider == "bearer" })
        #expect(bearer.error?.hasPrefix("redirected to \(elsewhere.url)/api/servers: not followed") == true, "\(bearer.error ?? "-")")
        #expect(outcomes.filter { $0.error == nil }.map(\.provider) == ["xm", "nm", "xp"])
        // The second origin received nothing at all: the redirect was never followed.
        #expect(elsewhere.received.isEmpty, "\(elsewhere.received.map(\.text))")
    }

    @Test func aPaginatorPointingElsewhereIsThatProvidersErrorAndSendsNoToken() async throws {
        let (simulator, elsewhere) = try await Self.world()
        defer { Task { await simulator.stop() }; elsewhere.stop() }
        simulator.crossOriginNextPage = true
        let configuration = try FetchTests.configuration(simulator.url)
        let outcomes = await ProviderFetcher(configuration: configuration, cache: TokenCache(path: nil)).fetchAll(deadline: .seconds(20))
        let vs = try #require(outcomes.first { $0.provider == "vs" })
        #expect(vs.error == "next page \(elsewhere.url)/api/servers: not followed (credentials stay with \(simulator.url))")
        #expect(elsewhere.received.isEmpty)
        #expect(outcomes.filter { $0.error == nil }.count == 3)
    }

    @Test func redirectsWithinTheOriginAreFollowedWithTheCredentialAtMostFiveTimes() async throws {
        let (simulator, elsewhere) = try await Self.world()
        defer { Task { await simulator.stop() }; elsewhere.stop() }
        let configuration = try ProviderConfiguration.parse(Data(("{\"providers\":[" + Self.bearer(simulator.url, path: "/fault/redirect-same-origin").dropFirst()
            + Self.bearer(simulator.url, path: "/fault/redirect-loop", name: "loop") + "]}").utf8))
        let outcomes = await ProviderFetcher(configuration: configuration, cache: TokenCache(path: nil)).fetchAll(deadline: .seconds(20))
        #expect(outcomes[0].error == nil && outcomes[0].servers.first?.host == "127.0.4.2", "\(outcomes[0].error ?? "")")
        #expect(simulator.count("fault.redirect-same-origin") == 1 && simulator.count("fault.list") == 1)
        #expect(outcomes[1].error == "more than 5 redirects: not followed further")
    }

    @Test(arguments: [
        ("https://vpn.example", "https://vpn.example:443/api", true),
        ("https://vpn.example", "https://VPN.example/next", true),
        ("https://vpn.example", "http://vpn.example/api", false),  // never down to http
        ("https://vpn.example", "https://cdn.vpn.example/api", false),
        ("http://vpn.example:8080", "https://vpn.example/api", true),  // an upgrade to https on the same host
        ("http://vpn.example:8080", "http://vpn.example:8081/api", false),
        ("http://127.0.0.1:80", "http://127.0.0.1/api", true),
        ("https://[2001:db8::1]:8443", "https://[2001:db8::1]:8443/x", true),
        ("https://vpn.example", "ftp://vpn.example/x", false),
    ])
    func theOriginRule(configured: String, target: String, admitted: Bool) throws {
        let base = try #require(URL(string: configured))
        let origin = try #require(Origin(base))
        let url = try #require(URL(string: target))
        #expect(origin.admits(url) == admitted)
    }

    @Test func errorsEchoingPasswordsOrTokensAreRedacted() async throws {
        let (simulator, elsewhere) = try await Self.world()
        defer { Task { await simulator.stop() }; elsewhere.stop() }
        simulator.echoSecrets = true
        let configuration = try FetchTests.configuration(simulator.url)
        let spec = try #require(configuration.providers.first { $0.type == "vpnscript" })
        let login = await ProviderFetcher(configuration: configuration, cache: TokenCache(path: nil)).fetch(spec)
        let error = try #require(login.error)
        #expect(error.contains("The given data was invalid") && error.contains(Redaction.mask), "\(error)")
        #expect(!error.contains(C.vpnscriptPassword))
        // A cached token that the server repeats in its 403.
        let cache = TokenCache(path: nil)
        cache.store(TokenCache.Entry(token: "12|vsTOKEN-cached-1234"), for: TokenCache.key(type: "vpnscript", url: simulator.url, user: C.vpnscriptUser))
        let echoed = await ProviderFetcher(configuration: configuration, cache: cache).fetch(spec)
        #expect(echoed.error?.contains("token Bearer \(Redaction.mask) is not valid here") == true, "\(echoed.error ?? "-")")
    }

    /// A secret is masked wherever its bytes stand, even when the next character (a combining
    /// mark) extends its last one: character comparison would not find it there.
    @Test func aSecretIsMaskedInsideAGraphemeToo() {
        Redaction.register("zz-Graph-Secret-41")
        let text = Redaction.redact("password=zz-Graph-Secret-41\u{301}")
        #expect(!text.contains("Graph-Secret") && text.utf8.elementsEqual("password=\(Redaction.mask)\u{301}".utf8), "\(text)")
    }

    @Test func theUserAgentNamesProbeAndNeverTheAccount() async throws {
        let recorder = try RawHTTPServer { _, fd, _ in RawHTTPServer.json(fd, #"[{"host":"127.0.0.1","port":443}]"#) }
        defer { recorder.stop() }
        let configuration = try ProviderConfiguration.parse(Data(#"{"providers":[{"type":"json","name":"j","url":"\#(recorder.url)/v1","request":{"path":"servers"}}]}"#.utf8))
        let outcome = await ProviderFetcher(configuration: configuration, cache: TokenCache(path: nil)).fetch(configuration.providers[0])
        #expect(outcome.error == nil)
        let head = try #require(recorder.received.first?.head)
        #expect(head.hasPrefix("GET /v1/servers HTTP/1.1"))
        #expect(head.contains("User-Agent: probe/\(ProbeVersion.current)"), "\(head)")
        // Compression is accepted: the cap counts the decoded bytes (see HostileAnswerTests).
        #expect(head.lowercased().contains("accept-encoding: gzip, deflate"))
    }

    @Test(arguments: ["/client/servers", "client/servers"])
    func requestPathsResolveRelativeToTheConfiguredURLEitherWay(path: String) async throws {
        let recorder = try RawHTTPServer { request, fd, _ in
            if request.head.hasPrefix("POST /panel/client/authenticate") {
                let expires = Int((Date().timeIntervalSince1970 + 3_600) * 1_000)
                RawHTTPServer.json(fd, #"{"success":{"data":{"expiresAt":\#(expires),"access_token":"xpTOKEN"}}}"#)
            } else if request.head.hasPrefix("POST /panel/client/servers") {
                RawHTTPServer.json(fd, #"{"items":[{"host":"127.0.3.9","port":443}]}"#)
            } else {
                RawHTTPServer.json(fd, #"{"message":"wrong path"}"#, status: "404 Not Found")
            }
        }
        defer { recorder.stop() }
        let configuration = try ProviderConfiguration.parse(Data(#"""
            {"providers":[{"type":"json","name":"xp","url":"\#(recorder.url)/panel","auth":{"type":"xpay","username":"u","secretKey":"s3cret-key"},
              "request":{"method":"POST","path":"\#(path)"},"items":"items"}]}
            """#.utf8))
        let outcome = await ProviderFetcher(configuration: configuration, cache: TokenCache(path: nil)).fetch(configuration.providers[0])
        #expect(outcome.error == nil && outcome.servers.first?.host == "127.0.3.9", "\(outcome.error ?? "")")
    }

    @Test func cachedTokensAreBoundToTheOriginAndTheAccount() async throws {
        let (simulator, elsewhere) = try await Self.world()
        defer { Task { await simulator.stop() }; elsewhere.stop() }
        let directory = try FetchTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cache = TokenCache(path: directory + "/tokens.json")
        let configuration = try FetchTests.configuration(simulator.url)
        let spec = try #require(configuration.providers.first { $0.type == "vpnscript" })
        #expect(await ProviderFetcher(configuration: configuration, cache: cache).fetch(spec).error == nil)
        #expect(simulator.count("vpnscript.login") == 1)
        // The same account at another spelling of the origin's URL, and another account: fresh logins.
        let other = try FetchTests.configuration(simulator.url.replacingOccurrences(of: "127.0.0.1", with: "localhost"))
        _ = await ProviderFetcher(configuration: other, cache: cache).fetch(try #require(other.providers.first { $0.type == "vpnscript" }))
        #expect(simulator.count("vpnscript.login") == 2)
        var renamed = spec
        guard case .object(var fields) = spec.fields else { Issue.record("not an object"); return }
        fields["username"] = .string("someone-else")
        renamed.fields = .object(fields)
        _ = await ProviderFetcher(configuration: configuration, cache: cache).fetch(renamed)
        #expect(simulator.count("vpnscript.login") == 3)
    }
}

/// Answers no framework would send: a gzip bomb and a body that never ends.
@Suite(.serialized) struct HostileAnswerTests {
    static func provider(_ url: String, timeout: Double = 2) throws -> ProviderConfiguration {
        try ProviderConfiguration.parse(Data(#"{"providers":[{"type":"json","name":"h","url":"\#(url)","timeoutSeconds":\#(timeout)}]}"#.utf8))
    }

    @Test func aGzipBombStopsAtTheCapCountedAfterInflating() async throws {
        let bomb = try await RawHTTPServer.gzipBomb(size: 256 << 20)
        #expect(bomb.count < 2 << 20)
        let server = try RawHTTPServer { _, fd, _ in
            RawHTTPServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: \(bomb.count)\r\n\r\n")
            RawHTTPServer.send(fd, bomb)
        }
        defer { server.stop() }
        let configuration = try Self.provider(server.url, timeout: 120)
        let outcome = await ProviderFetcher(configuration: configuration, cache: TokenCache(path: nil)).fetch(configuration.providers[0])
        #expect(outcome.error == "the answer is larger than 32 MiB (counted after decompression): refused")
    }

    @Test func aGzipAnswerWithinTheCapIsDecoded() async throws {
        let list = Array(#"[{"host":"127.0.0.1","port":443,"name":"gz"}]"#.utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-c"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(list))
        try input.fileHandleForWriting.close()
        let gz = Array(output.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        let server = try RawHTTPServer { _, fd, _ in
            RawHTTPServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: \(gz.count)\r\n\r\n")
            RawHTTPServer.send(fd, gz)
        }
        defer { server.stop() }
        let configuration = try Self.provider(server.url)
        let outcome = await ProviderFetcher(configuration: configuration, cache: TokenCache(path: nil)).fetch(configuration.providers[0])
        #expect(outcome.error == nil && outcome.servers.map(\.name) == ["gz"], "\(outcome.error ?? "")")
    }

    @Test func aBodyThatNeverEndsIsBoundedByTheProvidersTimeout() async throws {
        let server = try RawHTTPServer { _, fd, server in
            RawHTTPServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[")
            let item = Array(String(repeating: #"{"host":"127.0.0.1","port":443},"#, count: 32).utf8)
            let stop = ContinuousClock.now + .seconds(120)
            // A kilobyte every 20 ms, until the client goes away (bounded at 120 s whatever happens).
            while !server.isStopped, ContinuousClock.now < stop, RawHTTPServer.send(fd, item) { usleep(20_000) }
        }
        defer { server.stop() }
        let configuration = try Self.provider(server.url, timeout: 1)
        let start = ContinuousClock.now
        let outcome = await ProviderFetcher(configuration: configuration, cache: TokenCache(path: nil)).fetch(configuration.providers[0])
        // A 1 s timeout and its retries, with room for a loaded machine: far from the 120 s the body would take.
        #expect(ContinuousClock.now - start < .seconds(60))
        #expect(outcome.error == "no answer in time")
    }

    /// A hostile `Retry-After` (beyond any Duration, infinite, not a number) never traps: the
    /// provider gets one line and the wait is bounded.
    @Test(arguments: ["1e300", "inf", "nan", "-5", "99999999999999999999"])
    func aHostileRetryAfterIsBounded(_ value: String) async throws {
        let server = try RawHTTPServer { _, fd, _ in
            RawHTTPServer.json(fd, #"{"message":"slow down"}"#, status: "429 Too Many Requests\r\nRetry-After: \(value)")
        }
        defer { server.stop() }
        let configuration = try Self.provider(server.url, timeout: 2)
        let start = ContinuousClock.now
        let outcome = await ProviderFetcher(configuration: configuration, cache: TokenCache(path: nil)).fetch(configuration.providers[0])
        #expect(ContinuousClock.now - start < .seconds(8))
        #expect(outcome.error?.contains("429") == true)
    }
}
