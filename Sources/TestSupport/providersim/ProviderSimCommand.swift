import ArgumentParser
import Foundation
import ProviderSim

/// `providersim`: the four provider APIs of the test simulator on 127.0.0.1, for tests that run
/// probe inside netsim's simulated network (whose loopback is its own). Stops on SIGTERM or after
/// `--lifetime` seconds, whichever comes first.
@main
struct ProviderSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "providersim", abstract: "Serve the simulated provider APIs on 127.0.0.1.")

    @Option(help: "Port on 127.0.0.1.")
    var port: UInt16 = 8080

    @Option(help: "Addresses the answers name, mapped to the hosts they stand for: 127.0.1.4=198.18.20.4 (repeatable).")
    var map: [String] = []

    @Option(help: "Record every WireGuard configuration deleted to this file, one line each.")
    var record: String?

    @Option(help: "Polls a new WireGuard configuration stays pending.")
    var pendingPolls = 1

    @Option(help: "XMPlus lists one server of each type with every connection field.")
    var xmplusAllTypes = true

    @Option(help: "Serve this file's JSON as a server list: ROUTE=FILE, ROUTE one of xmplus.servers, vpnscript.servers, netmimic.servers, xpay.servers (repeatable).")
    var answer: [String] = []

    @Option(help: "Seconds before it stops by itself.")
    var lifetime = 120.0

    func run() async throws {
        var pairs: [String: String] = [:]
        for item in map {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--map takes FROM=TO, got '\(item)'") }
            pairs[parts[0]] = parts[1]
        }
        ProviderSimulator.addressMap.withLock { $0 = pairs }
        let simulator = try ProviderSimulator(port: port)
        simulator.vpnscriptPageSize = 0
        simulator.wireguardPendingPolls = pendingPolls
        simulator.xmplusAllTypes = xmplusAllTypes
        simulator.recordFile = record
        for item in answer {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let text = try? String(contentsOfFile: parts[1], encoding: .utf8) else {
                throw ValidationError("--answer takes ROUTE=FILE with a readable FILE, got '\(item)'")
            }
            simulator.answers[parts[0]] = text
        }
        try await simulator.start()
        FileHandle.standardError.write(Data("providersim: listening on \(simulator.url)\n".utf8))
        try? await Task.sleep(for: .seconds(lifetime))
        await simulator.stop()
    }
}
