import Foundation
import TestPacing
import Testing
@testable import ProviderFetch
@testable import ProviderSim

/// `probe --best --connect DIR`, `probe connect` and `probe release` as a user runs them: the
/// real binary against the provider simulator on loopback.
@Suite(.serialized) struct ConnectCLITests {
    typealias C = ProviderSimulator.Credentials

    /// A simulator and a config with the four providers; `only` keeps the named ones.
    static func world(only: Set<String>? = nil, _ setup: (ProviderSimulator) -> Void = { _ in }) async throws -> (ProviderSimulator, String, String) {
        let simulator = try ProviderSimulator()
        setup(simulator)
        try await simulator.start()
        let directory = NSTemporaryDirectory() + "probe-connect-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let providers = [
            ("xm", #"{"type": "xmplus", "name": "xm", "url": "\#(simulator.url)", "email": "\#(C.xmplusEmail)", "password": "\#(C.xmplusPassword)", "apiKey": "\#(C.xmplusAPIKey)"}"#),
            ("vs", #"{"type": "vpnscript", "name": "vs", "url": "\#(simulator.url)", "username": "\#(C.vpnscriptUser)", "password": "\#(C.vpnscriptPassword)"}"#),
            ("nm", #"{"type": "netmimic", "name": "nm", "url": "\#(simulator.url)", "email": "\#(C.netmimicEmail)", "password": "\#(C.netmimicPassword)"}"#),
            ("xp", #"{"type": "json", "name": "xp", "url": "\#(simulator.url)", "auth": {"type": "xpay", "username": "\#(C.xpayUser)", "secretKey": "\#(C.xpaySecret)"}, "request": {"method": "POST", "path": "/client/servers"}, "items": "success.data.items"}"#),
        ].filter { only?.contains($0.0) ?? true }.map(\.1)
        try #"{"providers": [\#(providers.joined(separator: ",\n"))]}"#.write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
        return (simulator, directory, directory + "/config.json")
    }

    /// `queued: false` runs at once, without waiting for a slot: for a run that must overlap one
    /// the test already started.
    static func run(_ arguments: [String], _ directory: String, queued: Bool = true) async throws -> (status: Int32, output: String) {
        try await SecretsTests.run(arguments, environment: ["XDG_CACHE_HOME": directory + "/cache", "XDG_STATE_HOME": directory + "/state"], queued: queued)
    }

    /// Runs probe with stdout and stderr apart.
    static func split(_ arguments: [String], _ directory: String, environment extra: [String: String] = [:], executable: String? = nil) async throws -> (status: Int32, stdout: String, stderr: String) {
        await ProcessSlots.programs.run { await splitNow(arguments, directory, environment: extra, executable: executable) }
    }

    private static func splitNow(_ arguments: [String], _ directory: String, environment extra: [String: String], executable: String?) async -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable ?? SecretsTests.probe)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["XDG_CACHE_HOME": directory + "/cache", "XDG_STATE_HOME": directory + "/state"].merging(extra) { $1 }) { $1 }
        let out = Pipe(), err = Pipe(), stdin = Pipe()
        try? stdin.fileHandleForWriting.close()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin
        async let stdout: Data = withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: out.fileHandleForReading.readDataToEndOfFile()) }.start()
        }
        async let stderr: Data = withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: err.fileHandleForReading.readDataToEndOfFile()) }.start()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            process.terminationHandler = { _ in continuation.resume() }
            do { try process.run() } catch { continuation.resume() }
        }
        return (process.terminationStatus, String(decoding: await stdout, as: UTF8.self), String(decoding: await stderr, as: UTF8.self))
    }

    static func mode(_ path: String) throws -> Int? {
        try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
    }

    @Test func connectWritesAPrivateDirectoryAndReleaseDeletesExactlyWhatWasCreated() async throws {
        let (simulator, directory, config) = try await Self.world(only: ["vs"]) { $0.wireguardPendingPolls = 1 }
        defer { Task { await simulator.stop() }; try? FileManager.default.removeItem(atPath: directory) }
        let target = directory + "/wg"
        let run = try await Self.run(["connect", "--provider", "vs", "--server", "vs:4", "--config", config, target], directory)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("connection: wireguard 127.0.1.4:51820/udp in \(target) (gluetun.env, mihomo-proxy.yaml, probe.conf)"), "\(run.output)")
        #expect(run.output.contains("release with 'probe release \(target)'"))
        #expect(try Self.mode(target) == 0o700)
        #expect(try Self.mode(target + "/probe.conf") == 0o600 && Self.mode(target + "/connection.json") == 0o600)
        let manifest = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: target + "/connection.json")))
        #expect(manifest["provider"]?.string == "vs" && manifest["protocol"]?.string == "wireguard" && manifest["port"]?.int == 51820)
        #expect(manifest["files"] == .object(["wireguard": .string("probe.conf"), "gluetun": .string("gluetun.env"), "mihomo": .string("mihomo-proxy.yaml")]))
        let gluetun = try String(contentsOfFile: target + "/gluetun.env", encoding: .utf8)
        for variable in ["VPN_SERVICE_PROVIDER=custom", "VPN_TYPE=wireguard", "WIREGUARD_ENDPOINT_IP=127.0.1.4", "WIREGUARD_ENDPOINT_PORT=51820",
                         "WIREGUARD_PUBLIC_KEY=", "WIREGUARD_PRIVATE_KEY=", "WIREGUARD_ADDRESSES="] {
            #expect(gluetun.contains(variable), "\(variable) in \(gluetun)")
        }
        #expect(try Self.mode(target + "/gluetun.env") == 0o600)
        #expect(manifest["created"] == .object(["wireguard_config_id": .number(41)]))
        #expect(manifest.value(at: "server.id")?.string == "vs:4" && manifest.value(at: "server.provider_id")?.string == "4")
        #expect(manifest["fetched_at"]?.string?.hasSuffix("Z") == true)
        // A second connect into the same directory would lose the record of what was created: refused.
        let again = try await Self.run(["connect", "--provider", "vs", "--server", "vs:4", "--config", config, target], directory)
        #expect(again.status == 3 && again.output.contains("run 'probe release \(target)' first"), "\(again.output)")
        // A file of the user's in the directory stays, and so does the directory.
        try "mine".write(toFile: target + "/notes.txt", atomically: true, encoding: .utf8)
        let release = try await Self.run(["release", "--config", config, target], directory)
        #expect(release.status == 0, "\(release.output)")
        #expect(release.output.contains("wireguard configuration 41 deleted"))
        #expect(simulator.wireguardDeleted == [41] && simulator.count("vpnscript.wireguard.delete") == 1)
        #expect(FileManager.default.fileExists(atPath: target + "/notes.txt") && !FileManager.default.fileExists(atPath: target + "/probe.conf"))
        try FileManager.default.removeItem(atPath: target + "/notes.txt")
        let gone = try await Self.run(["release", "--config", config, target], directory)
        #expect(gone.status == 3 && gone.output.contains("holds no connection.json"), "\(gone.output)")
    }

    @Test func openVPNFromAnyWorkingDirectoryAndTheRefusalsAreOneLineWithExit3() async throws {
        let (simulator, directory, config) = try await Self.world(only: ["vs"])
        defer { Task { await simulator.stop() }; try? FileManager.default.removeItem(atPath: directory) }
        let target = directory + "/ovpn"
        let run = try await Self.run(["connect", "--provider", "vs", "--server", "1", "--config", config, "--json", target], directory)
        #expect(run.status == 0, "\(run.output)")
        let profile = try String(contentsOfFile: target + "/profile.ovpn", encoding: .utf8)
        #expect(profile.contains("auth-user-pass \(target)/openvpn-auth.txt"))
        #expect(try String(contentsOfFile: target + "/openvpn-auth.txt", encoding: .utf8) == "vpnuser\n\(C.openvpnPassword)\n")
        #expect(!run.output.contains(C.openvpnPassword) && run.output.contains(#""openvpn_auth" : "openvpn-auth.txt""#))
        simulator.vpnscriptServiceProblem = "Your service is expired."
        let refused = try await Self.run(["connect", "--provider", "vs", "--server", "vs:3", "--config", config, directory + "/other"], directory)
        #expect(refused.status == 3)
        #expect(refused.output == "probe: vs: VS 3 (vs:3): openvpn profile: Your service is expired. (HTTP 422)\n", "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/other"))
        let unknown = try await Self.run(["connect", "--provider", "vs", "--server", "vs:99", "--config", config, directory + "/other"], directory)
        #expect(unknown.status == 64 && unknown.output.contains("vs lists no server 'vs:99'"), "\(unknown.output)")
        let wrongProtocol = try await Self.run(["connect", "--provider", "vs", "--server", "vs:1", "--protocol", "wireguard", "--config", config, directory + "/x"], directory)
        #expect(wrongProtocol.status == 3 && wrongProtocol.output.contains("VS 1 (vs:1): speaks openvpn, not wireguard"), "\(wrongProtocol.output)")
    }

    @Test func connectDashPrintsTheMaterialInlineBecauseTheUserAskedForIt() async throws {
        let (simulator, directory, config) = try await Self.world(only: ["vs"])
        defer { Task { await simulator.stop() }; try? FileManager.default.removeItem(atPath: directory) }
        let run = try await Self.split(["connect", "--provider", "vs", "--server", "vs:1", "--config", config, "-"], directory)
        #expect(run.status == 0, "\(run.stderr)")
        let manifest = try JSONValue.parse(Data(run.stdout.utf8))
        #expect(manifest.value(at: "material.openvpn_auth") == .string("vpnuser\n\(C.openvpnPassword)\n"))
        #expect(manifest.value(at: "material.openvpn")?.string?.contains("remote 127.0.1.1 1194") == true)
        let both = try await Self.run(["--best", "--config", config, "--connect", "-", "--json"], directory)
        #expect(both.status == 64 && both.output.contains("--connect - and --json both write to stdout"))
    }

    /// The pick's provider refuses (an expired service): the next-best server of a provider that
    /// gives material is connected instead, and the fallback says why; with nothing to fall back
    /// on, exit 3 and nothing written.
    @Test func bestConnectFallsBackAndSaysWhy() async throws {
        let (simulator, directory, config) = try await Self.world(only: ["vs", "nm"]) { $0.vpnscriptServiceProblem = "Your service is expired." }
        defer { Task { await simulator.stop() }; try? FileManager.default.removeItem(atPath: directory) }
        // Only VPNScript's openvpn servers and NetMimic's: the ranking decides, the fallback recovers.
        let target = directory + "/best"
        let run = try await Self.split(["--best", "--config", config, "--connect", target, "--json", "--no-sticky", "--timeout", "300"], directory)
        #expect(run.status == 0, "\(run.stderr)")
        let report = try JSONValue.parse(Data(run.stdout.utf8))
        let connection = try #require(report["connection"])
        #expect(connection["provider"]?.string == "nm", "\(connection)")
        if report.value(at: "best.server.provider")?.string == "vs" {
            #expect(connection["fallback_reason"]?.string?.contains("Your service is expired.") == true)
        }
        #expect(connection["files"]?["key"] != nil && connection["material"] == nil)
        #expect(!run.stdout.contains(C.netmimicKey) && !run.stderr.contains(C.netmimicKey))
        // Every provider refuses: exit 3, one line, nothing written.
        let (closed, closedDirectory, closedConfig) = try await Self.world(only: ["vs"]) { $0.vpnscriptServiceProblem = "You do not have any service." }
        defer { Task { await closed.stop() }; try? FileManager.default.removeItem(atPath: closedDirectory) }
        let none = try await Self.run(["--best", "--config", closedConfig, "--connect", closedDirectory + "/none", "--no-sticky", "--timeout", "300"], closedDirectory)
        #expect(none.status == 3, "\(none.output)")
        #expect(none.output.contains("connect: no connection material: vs: VS "), "\(none.output)")
        #expect(none.output.contains("You do not have any service."))
        #expect(!FileManager.default.fileExists(atPath: closedDirectory + "/none"))
    }

    @Test func explicitTargetsCarryNoMaterial() async throws {
        let run = try await SecretsTests.run(["--best", "127.0.0.1:1", "--connect", NSTemporaryDirectory() + "probe-never-\(UUID().uuidString)"], environment: [:])
        #expect(run.status == 64 && run.output.contains("--connect needs a providers file"), "\(run.output)")
    }
}
