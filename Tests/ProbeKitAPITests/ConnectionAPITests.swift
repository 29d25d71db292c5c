import Foundation
import ProbeKit  // the one import an orchestrator needs
import ProviderSim  // the provider APIs on loopback (a test fixture, not the product)
import Testing

/// The hand-over as an orchestrator codes it: one call for the pick and its connection, the
/// manifest Codable, the material in memory and never in a description, release.
@Suite(.serialized) struct ConnectionAPITests {
    @Test func bestConnectInOneCallThenRelease() async throws {
        let simulator = try ProviderSimulator()
        simulator.wireguardPendingPolls = 1
        try await simulator.start()
        defer { Task { await simulator.stop() } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("probe-api-connect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("config.json").path
        try #"{"providers":[{"type":"vpnscript","name":"vs","url":"\#(simulator.url)","username":"me","password":"vs-Secret-Pa55"}]}"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        var configuration = ProbeClient.Configuration(providersFile: config, tokenCacheFile: directory.appendingPathComponent("tokens.json").path)
        configuration.probing.filter = CandidateFilter(protocols: ["wireguard"])
        configuration.probing.probe.timeoutMilliseconds = 300
        let client = ProbeClient(configuration: configuration)
        let report = try await client.best(connect: true, options: .init(protocol: "wireguard", timeout: .seconds(20)))
        let connection = try #require(report.connection, "\(report.errors)")
        #expect(connection.protocol == "wireguard" && connection.port == 51820 && connection.created["wireguard_config_id"] != nil)
        // Issue 25: every WireGuard connection also gets gluetun's settings and a mihomo proxy.
        #expect(connection.material.map(\.kind) == ["wireguard", "gluetun", "mihomo"])
        let key = "+IFYP0FRJn6bFdeTuwPCtNtpDR3on6+XxhCUlVUPSk0="
        #expect(connection.material.first?.contents.contains(key) == true)
        #expect(!"\(connection)".contains(key) && !String(reflecting: connection.material).contains(key) && !connection.manifestJSON().contains(key))
        // The manifest round-trips; the material stays out of it.
        let decoded = try JSONDecoder().decode(Connection.self, from: Data(connection.manifestJSON().utf8))
        #expect(decoded.files == connection.files && decoded.created == connection.created && decoded.material.isEmpty)
        let target = directory.appendingPathComponent("vpn").path
        try ProbeClient.write(connection, to: target)
        #expect(try ProbeClient.readConnection(at: target).created == connection.created)
        let released = try await client.release(directory: target)
        #expect(released.first?.hasSuffix("deleted") == true)
        #expect(!FileManager.default.fileExists(atPath: target))
    }
}
