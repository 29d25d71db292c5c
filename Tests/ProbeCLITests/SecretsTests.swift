import Foundation
import TestPacing
import Testing
@testable import ProviderFetch
@testable import ProviderSim

/// Secrets never appear in any output: a full run of every command, with secrets given inline,
/// from the environment and from a file, and every byte of stdout and stderr searched.
@Suite(.serialized) struct SecretsTests {
    typealias C = ProviderSimulator.Credentials

    static var probe: String { CLIRunner.binary.path }

    /// Runs probe with `arguments` and `environment`, returning stdout + stderr.
    static func run(_ arguments: [String], environment: [String: String], queued: Bool = true) async throws -> (status: Int32, output: String) {
        guard queued else { return await runNow(arguments, environment: environment) }
        return await ProcessSlots.programs.run { await runNow(arguments, environment: environment) }
    }

    private static func runNow(_ arguments: [String], environment: [String: String]) async -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: probe)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        // A stdin of its own: the shared FileHandle.nullDevice must not be handed to Process, which
        // closes the handles it was given, and a later close of that number hits whatever reused it.
        let stdin = Pipe()
        try? stdin.fileHandleForWriting.close()
        process.standardInput = stdin
        let handle = pipe.fileHandleForReading
        // A blocking read belongs on a thread of its own, never on Swift's cooperative pool.
        async let output: Data = withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: handle.readDataToEndOfFile()) }.start()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            process.terminationHandler = { _ in continuation.resume() }
            do { try process.run() } catch { continuation.resume() }
        }
        return (process.terminationStatus, String(decoding: await output, as: UTF8.self))
    }

    @Test func noSecretInAnyOutputOfAFullRun() async throws {
        let simulator = try ProviderSimulator()
        try await simulator.start()
        defer { Task { await simulator.stop() } }
        let directory = NSTemporaryDirectory() + "probe-secrets-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try C.netmimicPassword.write(toFile: directory + "/nm-password", atomically: true, encoding: .utf8)
        let config = directory + "/config.json"
        try """
            {"providers": [
              {"type": "xmplus", "name": "xm", "url": "\(simulator.url)", "email": "\(C.xmplusEmail)", "password": "\(C.xmplusPassword)", "apiKey": "env:PROBE_TEST_XM_KEY"},
              {"type": "vpnscript", "name": "vs", "url": "\(simulator.url)", "username": "\(C.vpnscriptUser)", "password": "env:PROBE_TEST_VS_PASSWORD"},
              {"type": "netmimic", "name": "nm", "url": "\(simulator.url)", "email": "\(C.netmimicEmail)", "password": "file:\(directory)/nm-password"},
              {"type": "json", "name": "xp", "url": "\(simulator.url)", "auth": {"type": "xpay", "username": "\(C.xpayUser)", "secretKey": "\(C.xpaySecret)"},
               "request": {"method": "POST", "path": "/client/servers"}, "items": "success.data.items"},
              {"type": "vpnscript", "name": "wrong", "url": "\(simulator.url)", "username": "\(C.vpnscriptUser)", "password": "not-the-\(C.vpnscriptPassword)"}
            ]}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let environment = ["PROBE_TEST_XM_KEY": C.xmplusAPIKey, "PROBE_TEST_VS_PASSWORD": C.vpnscriptPassword,
                           "XDG_CACHE_HOME": directory + "/cache", "XDG_STATE_HOME": directory + "/state"]
        var outputs: [String] = []
        for arguments in [
            ["--best", "--config", config, "--method", "tcp", "--timeout", "200"],
            ["rank", "--config", config, "--method", "tcp", "--timeout", "200", "--json"],
            ["servers", "--config", config], ["servers", "--config", config, "--json"],
            ["accounts", "--config", config], ["accounts", "--config", config, "--json"],
            ["logout", "nm", "--config", config],
        ] {
            let run = try await Self.run(arguments, environment: environment)
            outputs.append(run.output)
        }
        let all = outputs.joined(separator: "\n")
        #expect(all.contains("127.0.1.1"))  // the runs did fetch and print servers
        #expect(all.contains("wrong: The provided credentials are incorrect."))  // and a provider's error
        for secret in [C.xmplusPassword, C.xmplusAPIKey, MD5.hex(C.xmplusAPIKey), C.vpnscriptPassword, C.netmimicPassword,
                       C.xpaySecret, "nmTOKEN", "xpTOKEN", "vsTOKEN", "eyJ0eXAi"] {
            #expect(!all.contains(secret), "a secret leaked into the output: \(secret.prefix(3))…")
        }
        let cacheFile = directory + "/cache/probe/tokens.json"
        let mode = try FileManager.default.attributesOfItem(atPath: cacheFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let cached = try String(contentsOfFile: cacheFile, encoding: .utf8)
        for secret in [C.xmplusPassword, C.xmplusAPIKey, C.vpnscriptPassword, C.netmimicPassword, C.xpaySecret, C.xpayUser] {
            #expect(!cached.contains(secret))  // tokens only, under hashed keys
        }
        #expect(simulator.count("netmimic.logout") == 1)
    }

    /// The hand-over's material (private keys, passwords, UUIDs, access keys) reaches only the
    /// files of the connection directory, and stdout with `--connect -`, where the user asked for it.
    @Test func noConnectionSecretInAnyOutputButTheOneAskedFor() async throws {
        let simulator = try ProviderSimulator()
        simulator.xmplusAllTypes = true
        simulator.wireguardPendingPolls = 1
        try await simulator.start()
        defer { Task { await simulator.stop() } }
        let directory = NSTemporaryDirectory() + "probe-secrets-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = directory + "/config.json"
        try """
            {"providers": [
              {"type": "xmplus", "name": "xm", "url": "\(simulator.url)", "email": "\(C.xmplusEmail)", "password": "\(C.xmplusPassword)", "apiKey": "\(C.xmplusAPIKey)"},
              {"type": "vpnscript", "name": "vs", "url": "\(simulator.url)", "username": "\(C.vpnscriptUser)", "password": "\(C.vpnscriptPassword)"},
              {"type": "netmimic", "name": "nm", "url": "\(simulator.url)", "email": "\(C.netmimicEmail)", "password": "\(C.netmimicPassword)"}
            ]}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let environment = ["XDG_CACHE_HOME": directory + "/cache", "XDG_STATE_HOME": directory + "/state"]
        var outputs: [String] = []
        for arguments in [
            ["--best", "--config", config, "--timeout", "300", "--connect", directory + "/c1"],
            ["--best", "--config", config, "--timeout", "300", "--connect", directory + "/c2", "--json", "--no-sticky"],
            ["--best", "--config", config, "--timeout", "300", "--connect", directory + "/c3", "-q", "--no-sticky"],
            ["connect", "--provider", "vs", "--server", "vs:4", "--config", config, directory + "/c4"],
            ["connect", "--provider", "vs", "--server", "vs:1", "--config", config, "--json", directory + "/c5"],
            ["connect", "--provider", "xm", "--server", "xm:vmess:127.0.0.1:443", "--config", config, directory + "/c6"],
            ["connect", "--provider", "xm", "--server", "xm:trojan:127.0.0.3:443", "--config", config, "--json", directory + "/c7"],
            ["connect", "--provider", "nm", "--server", "nm:a", "--config", config, directory + "/c8"],
            ["connect", "--provider", "vs", "--server", "vs:2", "--config", config, directory + "/c9"],
            ["servers", "--config", config, "--json"], ["rank", "--config", config, "--json", "--timeout", "300"],
            ["release", "--config", config, directory + "/c4"], ["release", "--config", config, directory + "/c1"],
        ] {
            let run = try await Self.run(arguments, environment: environment)
            outputs.append(run.output)
        }
        let all = outputs.joined(separator: "\n")
        #expect(all.contains("connection: wireguard 127.0.1.4:51820/udp"), "\(all.prefix(2_000))")
        #expect(all.contains("maximum allowed user limit"))  // an error line was printed too
        for secret in C.connectionSecrets + [C.vpnscriptPassword, C.netmimicPassword, C.xmplusPassword, "nmTOKEN", "vsTOKEN"] {
            #expect(!all.contains(secret), "a secret leaked into the output: \(secret.prefix(3))…")
        }
        // What the files hold, and what --connect - prints: the material, as asked.
        #expect(try String(contentsOfFile: directory + "/c6/xray-outbound.json", encoding: .utf8).contains(C.xmplusUUID))
        let inline = try await Self.run(["connect", "--provider", "vs", "--server", "vs:1", "--config", config, "-"], environment: environment)
        #expect(inline.status == 0 && inline.output.contains(C.openvpnPassword))
    }
}
