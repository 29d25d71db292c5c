import Foundation
import Testing
@testable import ProviderFetch
@testable import ProviderSim

/// Nothing created at a provider is orphaned: a WireGuard configuration that VPNScript made for a
/// connect is given back when the run is interrupted (SIGINT, SIGTERM), when the wait for it
/// times out, and is never made when DIR is refused; it is recorded in DIR as soon as it exists,
/// so `probe release DIR` gives it back even after a `kill -9`; and two connects into one DIR
/// never both write it. The real binary against the provider simulator on loopback.
@Suite(.serialized) struct ConnectOrphanTests {
    /// Starts probe, returning the process and its combined output once it ends.
    static func start(_ arguments: [String], _ directory: String) throws -> (Process, @Sendable () -> String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: SecretsTests.probe)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["XDG_CACHE_HOME": directory + "/cache", "XDG_STATE_HOME": directory + "/state"]) { $1 }
        let output = directory + "/out-\(UUID().uuidString).txt"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardOutput = handle
        process.standardError = handle
        let stdin = Pipe()
        try? stdin.fileHandleForWriting.close()
        process.standardInput = stdin
        try process.run()
        try handle.close()
        return (process, { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" })
    }

    /// The two ways into a connection directory: `probe connect` and `probe --best --connect`.
    static func commands(_ config: String, _ target: String) -> [[String]] {
        [["connect", "--provider", "vs", "--server", "vs:4", "--config", config, target],
         ["--best", "--protocol", "wireguard", "--full", "--samples", "1", "--config", config, "--connect", target]]
    }

    /// Waits (bounded; not past `process`'s end) until `condition` holds.
    static func until(_ seconds: Double = 60, while process: Process? = nil, _ condition: () -> Bool) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int64(seconds * 1_000))
        while !condition() {
            if let process, !process.isRunning { Issue.record("probe ended first"); return }
            guard clock.now < deadline else { Issue.record("condition not met within \(seconds) s"); return }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    static func exit(_ process: Process) async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread {
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }.start()
        }
    }

    /// SIGINT and SIGTERM while the configuration is pending: given back before exit (130, 143).
    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalWhileTheConfigurationIsPendingGivesItBack(signal: Int32) async throws {
        let (simulator, directory, config) = try await ConnectCLITests.world(only: ["vs"]) { $0.wireguardPendingPolls = 10_000 }
        defer { Task { await simulator.stop() }; try? FileManager.default.removeItem(atPath: directory) }
        let target = directory + "/wg"
        for command in Self.commands(config, target) {
            let before = simulator.wireguardCreated.count
            let polls = simulator.count("vpnscript.wireguard.configs")
            let (process, output) = try Self.start(command, directory)
            // Interrupted once the configuration exists and is pending at the provider.
            try await Self.until(while: process) { simulator.wireguardCreated.count > before && simulator.count("vpnscript.wireguard.configs") >= polls + 3 }
            kill(process.processIdentifier, signal)
            let status = await Self.exit(process)
            #expect(status == 128 + signal, "\(command): \(output())")
            let created = Set(simulator.wireguardCreated.keys)
            #expect(created.count == before + 1)
            #expect(Set(simulator.wireguardDeleted) == created, "\(command): created \(created), deleted \(simulator.wireguardDeleted): \(output())")
            #expect(output().contains("deleted"), "\(output())")
            #expect(output().contains("interrupted"), "\(output())")
            // Nothing is left recorded as pending, and no connection was written.
            #expect(!FileManager.default.fileExists(atPath: target + "/pending.json") && !FileManager.default.fileExists(atPath: target + "/connection.json"))
        }
    }

    /// `--connect-timeout` passing while it is pending: given back, exit 3, and the line says so.
    @Test func aTimeoutGivesTheConfigurationBack() async throws {
        let (simulator, directory, config) = try await ConnectCLITests.world(only: ["vs"]) { $0.wireguardPendingPolls = 10_000 }
        defer { Task { await simulator.stop() }; try? FileManager.default.removeItem(atPath: directory) }
        let run = try await ConnectCLITests.run(["connect", "--provider", "vs", "--server", "vs:4", "--connect-timeout", "1", "--config", config, directory + "/wg"], directory)
        #expect(run.status == 3, "\(run.output)")
        #expect(run.output.contains("not active after 1.0 s") && run.output.contains("wireguard configuration 41 deleted"), "\(run.output)")
        #expect(simulator.wireguardDeleted == [41])
        #expect(!FileManager.default.fileExists(atPath: directory + "/wg/pending.json"))
    }

    /// A directory that cannot be used is refused before anything is created at the provider.
    @Test func aRefusedDirectoryCreatesNothing() async throws {
        let (simulator, directory, config) = try await ConnectCLITests.world(only: ["vs"]) { $0.wireguardPendingPolls = 1 }
        defer { Task { await simulator.stop() }; try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/real", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: directory + "/link", withDestinationPath: directory + "/real")
        for command in Self.commands(config, directory + "/link") {
            let run = try await ConnectCLITests.run(command, directory)
            #expect(run.status == 3 && run.output.contains("is not a directory (a symlink or a file)"), "\(run.output)")
        }
        #expect(simulator.count("vpnscript.wireguard.create") == 0 && simulator.wireguardCreated.isEmpty)
    }

    /// Recorded at once: after `kill -9` mid-wait, DIR's `pending.json` names the configuration,
    /// a new connect into DIR is refused, and `probe release DIR` gives it back.
    @Test func aKilledConnectLeavesARecordThatReleaseGivesBack() async throws {
        let (simulator, directory, config) = try await ConnectCLITests.world(only: ["vs"]) { $0.wireguardPendingPolls = 10_000 }
        defer { Task { await simulator.stop() }; try? FileManager.default.removeItem(atPath: directory) }
        let target = directory + "/wg"
        let (process, _) = try Self.start(["connect", "--provider", "vs", "--server", "vs:4", "--config", config, target], directory)
        try await Self.until(while: process) { FileManager.default.fileExists(atPath: target + "/pending.json") }
        kill(process.processIdentifier, SIGKILL)
        _ = await Self.exit(process)
        let pending = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: target + "/pending.json")))
        #expect(pending["provider"]?.string == "vs" && pending["created"] == .object(["wireguard_config_id": .number(41)]))
        #expect(try ConnectCLITests.mode(target + "/pending.json") == 0o600)
        let again = try await ConnectCLITests.run(["connect", "--provider", "vs", "--server", "vs:4", "--config", config, target], directory)
        #expect(again.status == 3 && again.output.contains("by a connect that did not finish: run 'probe release \(target)' first"), "\(again.output)")
        #expect(simulator.wireguardCreated.count == 1)
        let release = try await ConnectCLITests.run(["release", "--config", config, target], directory)
        #expect(release.status == 0 && release.output.contains("wireguard configuration 41 deleted"), "\(release.output)")
        #expect(simulator.wireguardDeleted == [41])
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    /// Two connects into one DIR at once: one writes it, the other is refused (the directory is
    /// locked for the whole connect), and the manifest names the configuration the file holds.
    @Test func twoConnectsIntoOneDirectoryNeverBothWriteIt() async throws {
        let (simulator, directory, config) = try await ConnectCLITests.world(only: ["vs"]) { $0.wireguardPendingPolls = 3 }
        defer { Task { await simulator.stop() }; try? FileManager.default.removeItem(atPath: directory) }
        let target = directory + "/wg"
        let (first, firstOutput) = try Self.start(["connect", "--provider", "vs", "--server", "vs:4", "--config", config, target], directory)
        try await Self.until(while: first) { simulator.count("vpnscript.wireguard.create") == 1 }
        // At once, not queued behind other tests' programs: it must overlap the first.
        let second = try await ConnectCLITests.run(["connect", "--provider", "vs", "--server", "vs:3", "--config", config, target], directory, queued: false)
        #expect(second.status == 3 && second.output.contains("is in use by another probe"), "\(second.output)")
        #expect(await Self.exit(first) == 0, "\(firstOutput())")
        #expect(simulator.wireguardCreated.count == 1, "the refused connect created nothing")
        let manifest = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: target + "/connection.json")))
        #expect(manifest.value(at: "server.id")?.string == "vs:4" && manifest["created"] == .object(["wireguard_config_id": .number(41)]))
        #expect(try String(contentsOfFile: target + "/probe.conf", encoding: .utf8).contains("127.0.1.4:51820"))
    }
}
