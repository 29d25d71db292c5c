import Foundation
import Testing
@testable import ProviderFetch
@testable import ProviderSim

/// ProviderFetch against the in-repo simulator: real HTTP on loopback, no mock of URLSession.
@Suite(.serialized) struct FetchTests {
    typealias C = ProviderSimulator.Credentials

    static func configuration(_ url: String, extra: String = "", pageSize: Int = 2) throws -> ProviderConfiguration {
        try ProviderConfiguration.parse(Data("""
            {"providers": [
              {"type": "xmplus", "name": "xm", "url": "\(url)", "email": "\(C.xmplusEmail)", "password": "\(C.xmplusPassword)", "apiKey": "\(C.xmplusAPIKey)"},
              {"type": "vpnscript", "name": "vs", "url": "\(url)", "username": "\(C.vpnscriptUser)", "password": "\(C.vpnscriptPassword)", "deviceName": "probe"},
              {"type": "netmimic", "name": "nm", "url": "\(url)", "email": "\(C.netmimicEmail)", "password": "\(C.netmimicPassword)", "deviceName": "probe"},
              {"type": "json", "name": "xp", "url": "\(url)", "auth": {"type": "xpay", "username": "\(C.xpayUser)", "secretKey": "\(C.xpaySecret)"},
               "request": {"method": "POST", "path": "/client/servers"}, "items": "success.data.items",
               "fields": {"name": "label", "country": "region"}}\(extra)
            ]}
            """.utf8))
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "probe-fetch-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func everyProviderAtOnceWithTokensCachedAt0600() async throws {
        let simulator = try ProviderSimulator()
        try await simulator.start()
        defer { Task { await simulator.stop() } }
        let directory = try Self.temporaryDirectory()
        let cache = TokenCache(path: directory + "/tokens.json")
        let fetcher = ProviderFetcher(configuration: try Self.configuration(simulator.url), cache: cache)
        let outcomes = await fetcher.fetchAll(deadline: .seconds(30))
        #expect(outcomes.map(\.provider) == ["xm", "vs", "nm", "xp"])
        // Required (not only expected): the lines below index into the lists.
        try #require(outcomes.count == 4 && outcomes.allSatisfy { $0.error == nil }, "\(outcomes.compactMap(\.error))")
        let xm = outcomes[0].servers
        #expect(xm.map(\.host) == ["127.0.0.1", "127.0.0.2"] && xm[0].port == 8000 && xm[0].country == "GB" && xm[1].port == 443)
        #expect(outcomes[0].account?.remainingTraffic == "99 G")
        #expect(outcomes[1].servers.count == 5)  // three pages of the paginator, followed to the end
        #expect(outcomes[1].servers[1].wgAvailableSlots == 0 && outcomes[1].servers[0].city == "Frankfurt")
        #expect(outcomes[2].servers.map(\.host) == ["127.0.2.1", "127.0.2.2"] && outcomes[2].servers[0].port == 8443)
        #expect(outcomes[3].servers.first?.name == "XP one" && outcomes[3].servers.first?.country == "FR")
        let mode = try FileManager.default.attributesOfItem(atPath: directory + "/tokens.json")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // A second run reuses every token: no new login.
        let logins = ["xmplus.token", "vpnscript.login", "netmimic.login", "xpay.auth"].map(simulator.count)
        _ = await ProviderFetcher(configuration: try Self.configuration(simulator.url), cache: TokenCache(path: directory + "/tokens.json")).fetchAll()
        #expect(["xmplus.token", "vpnscript.login", "netmimic.login", "xpay.auth"].map(simulator.count) == logins)
    }

    @Test(arguments: ["xmplus", "vpnscript", "json"])
    func anExpiredTokenTriggersOneFreshLogin(provider: String) async throws {
        let simulator = try ProviderSimulator()
        try await simulator.start()
        defer { Task { await simulator.stop() } }
        let cache = TokenCache(path: nil)
        let configuration = try Self.configuration(simulator.url)
        let spec = try #require(configuration.providers.first { $0.type == provider })
        let fetcher = ProviderFetcher(configuration: configuration, cache: cache)
        #expect(await fetcher.fetch(spec).error == nil)
        let login = ["xmplus": "xmplus.token", "vpnscript": "vpnscript.login", "json": "xpay.auth"][provider] ?? ""
        #expect(simulator.count(login) == 1)
        simulator.expireTokens = true
        let again = await fetcher.fetch(spec)
        #expect(again.error == nil && !again.servers.isEmpty)
        #expect(simulator.count(login) == 2)  // exactly one fresh login
    }

    @Test(arguments: [("0 B", "2220-04-15 08:18:51", "no traffic left"), ("99 G", "2001-01-01 00:00:00", "account expired")])
    func accountsOutOfTrafficOrExpiredAreLeftOut(remaining: String, expiry: String, reason: String) async throws {
        let simulator = try ProviderSimulator()
        try await simulator.start()
        defer { Task { await simulator.stop() } }
        simulator.xmplusRemaining = remaining
        simulator.xmplusExpiry = expiry
        let outcomes = await ProviderFetcher(configuration: try Self.configuration(simulator.url), cache: TokenCache(path: nil)).fetchAll()
        #expect(outcomes[0].error == nil && !outcomes[0].servers.isEmpty)
        #expect(outcomes[0].exclusion == reason)
        #expect(outcomes.dropFirst().allSatisfy { $0.exclusion == nil })
    }

    @Test func aSuspendedAccountIsThatProvidersErrorOnly() async throws {
        let simulator = try ProviderSimulator()
        try await simulator.start()
        defer { Task { await simulator.stop() } }
        simulator.suspendVPNScript = true
        let outcomes = await ProviderFetcher(configuration: try Self.configuration(simulator.url), cache: TokenCache(path: nil)).fetchAll()
        #expect(outcomes[1].error == "Your account has been suspended.: unpaid")
        #expect(outcomes.filter { $0.error == nil }.count == 3)
    }

    @Test(arguments: [
        ("/fault/500", "HTTP 500: boom"),
        ("/fault/malformed", "not valid JSON"),
        ("/fault/html", "HTML page"),
        ("/fault/huge", "larger than 32 MiB"),
        ("/fault/slow", "no answer in time"),
    ])
    func faultsAreOneLineAndTheOthersStillCount(path: String, expected: String) async throws {
        let simulator = try ProviderSimulator()
        try await simulator.start()
        defer { Task { await simulator.stop() } }
        // 1 s makes the slow answer (60 s) a timeout; the others get 10 s, so that a loaded machine
        // serving 32 MiB slowly still shows the size cap, not a timeout.
        let timeout = path == "/fault/slow" ? 1 : 10
        let extra = #",{"type": "json", "name": "faulty", "url": "\#(simulator.url)", "request": {"path": "\#(path)"}, "timeoutSeconds": \#(timeout)}"#
        let outcomes = await ProviderFetcher(configuration: try Self.configuration(simulator.url, extra: extra), cache: TokenCache(path: nil))
            .fetchAll(deadline: .seconds(20))
        let faulty = try #require(outcomes.last)
        #expect(faulty.error?.contains(expected) == true, "\(faulty.error ?? "no error")")
        #expect(faulty.error?.contains("\n") == false)
        #expect(outcomes.dropLast().allSatisfy { $0.error == nil && !$0.servers.isEmpty })
        if path == "/fault/500" { #expect(simulator.count("fault.500") == 3) }  // retried twice
    }

    @Test func tooManyRequestsHonoursRetryAfter() async throws {
        let simulator = try ProviderSimulator()
        try await simulator.start()
        defer { Task { await simulator.stop() } }
        let configuration = try ProviderConfiguration.parse(Data(#"{"providers":[{"type":"json","name":"busy","url":"\#(simulator.url)","request":{"path":"/fault/429"}}]}"#.utf8))
        let start = ContinuousClock.now
        let outcome = await ProviderFetcher(configuration: configuration, cache: TokenCache(path: nil)).fetch(configuration.providers[0])
        #expect(outcome.error == nil && outcome.servers.first?.host == "127.0.4.1")
        #expect(ContinuousClock.now - start >= .milliseconds(950))  // it waited as asked
        #expect(simulator.count("fault.429") == 2)
    }

    @Test func theOverallDeadlineCutsSlowProviders() async throws {
        let simulator = try ProviderSimulator()
        try await simulator.start()
        defer { Task { await simulator.stop() } }
        let configuration = try ProviderConfiguration.parse(Data(#"{"providers":[{"type":"json","name":"slow","url":"\#(simulator.url)","request":{"path":"/fault/slow"},"timeoutSeconds":30}]}"#.utf8))
        let start = ContinuousClock.now
        let outcomes = await ProviderFetcher(configuration: configuration, cache: TokenCache(path: nil)).fetchAll(deadline: .seconds(1))
        // Cut before the provider's answer at 60 s (about 1 s alone; a loaded full suite has taken 4 s).
        #expect(ContinuousClock.now - start < .seconds(45))
        #expect(outcomes.first?.error == "no answer before the deadline")
    }

    @Test(arguments: [
        (#"{"providers":[{"type":"carrier","name":"x"}]}"#, "provider 'x': unknown type 'carrier'"),
        (#"{"providers":[{"type":"xmplus","name":"xm","url":"https://p.example","email":"e","password":"p"}]}"#, "provider 'xm': missing 'apiKey'"),
        (#"{"providers":[{"type":"json","name":"j","url":"ftp://p.example"}]}"#, "provider 'j': url 'ftp://p.example' is not an http(s) URL"),
        (#"{"providers":[{"type":"static","name":"s","path":"a","timeoutSeconds":-1}]}"#, "provider 's': timeoutSeconds"),
        (#"{"providers":[{"type":"json","name":"j","url":"https://p.example","auth":{"type":"xpay","username":"u"}}]}"#, "provider 'j': auth.secretKey is missing"),
        (#"{"providers": 3}"#, "no \"providers\" array"),
        (#"{"providers": ["#, "not valid JSON"),
    ])
    func badConfigurationIsOneLineNamingProviderAndField(json: String, expected: String) {
        #expect {
            try ProviderConfiguration.parse(Data(json.utf8))
        } throws: { error in
            (error as? ProviderError)?.message.contains(expected) == true
        }
    }

    @Test func secretsFromEnvironmentAndFilesAndWarnings() throws {
        let directory = try Self.temporaryDirectory()
        try "from-a-file\n".write(toFile: directory + "/secret", atomically: true, encoding: .utf8)
        let spec = ProviderSpec(type: "vpnscript", name: "vs", fields: .object([
            "password": .string("file:\(directory)/secret"), "username": .string("env:PROBE_TEST_UNSET_VARIABLE"),
        ]), timeoutSeconds: 10, enabled: true)
        #expect(try spec.secret("password") == "from-a-file")
        #expect(throws: ProviderError(.configuration, "provider 'vs': username: environment variable PROBE_TEST_UNSET_VARIABLE is not set")) {
            try spec.secret("username")
        }
        let path = directory + "/config.json"
        try #"{"providers":[{"type":"vpnscript","name":"vs","url":"http://vpn.example","username":"me","password":"inline-pass"}]}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let warnings = try ProviderConfiguration.load(path: path).warnings
        #expect(warnings.contains { $0.contains("plain http://") })
        #expect(warnings.contains { $0.contains("chmod 600") })
        #expect(!warnings.joined().contains("inline-pass"))
    }
}
