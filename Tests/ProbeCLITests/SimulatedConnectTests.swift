import Foundation
import NetSim
import Testing

extension SimulatedNetworks {
    /// The hand-over end to end in the simulated network: the four provider APIs (`providersim`,
    /// on the namespace's own loopback) list servers that are hosts of the simulated network,
    /// each with its own delay; `probe --best --connect DIR` picks the fastest and writes its
    /// material, and `probe release DIR` deletes exactly the configuration it created.
    @Suite struct SimulatedConnectTests {
        @Test func bestConnectOverFourProvidersThenRelease() async throws {
            var hosts: [SimulatedHost] = []
            var map: [String] = []
            func add(_ loopback: String, _ simulated: String, rtt: Double, open: [Int] = []) {
                hosts.append(SimulatedHost(address: simulated, rttMs: rtt, tcpOpen: open))
                map.append("\(loopback)=\(simulated)")
            }
            // VPNScript (no ports: pinged): server 4, WireGuard with free slots, is the fastest by far.
            for (id, rtt) in [(1, 14.0), (2, 16), (3, 20), (4, 3), (5, 24)] { add("127.0.1.\(id)", "198.18.20.\(id)", rtt: rtt) }
            // XMPlus, one server of each type; NetMimic; the xpay-authenticated JSON provider.
            for (index, rtt) in [15.0, 17, 19, 21, 23].enumerated() { add("127.0.0.\(index + 1)", "198.18.21.\(index + 1)", rtt: rtt, open: [443, 8443, 8388]) }
            add("127.0.2.1", "198.18.22.1", rtt: 12, open: [8443])
            add("127.0.2.2", "198.18.22.2", rtt: 13, open: [443])
            add("127.0.3.1", "198.18.23.1", rtt: 11, open: [443])
            let world = World(hosts: hosts)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("probe-simconnect-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
            let url = "http://127.0.0.1:18080"
            try """
                {"providers": [
                  {"type": "xmplus", "name": "xm", "url": "\(url)", "email": "me@example.org", "password": "xm-Secret-Pa55", "apiKey": "xm-api-KEY-4242"},
                  {"type": "vpnscript", "name": "vs", "url": "\(url)", "username": "me", "password": "vs-Secret-Pa55"},
                  {"type": "netmimic", "name": "nm", "url": "\(url)", "email": "me@example.org", "password": "nm-Secret-Pa55"},
                  {"type": "json", "name": "xp", "url": "\(url)", "auth": {"type": "xpay", "username": "me@example.org", "secretKey": "xp-Secret-KEY-77"},
                   "request": {"method": "POST", "path": "/client/servers"}, "items": "success.data.items"}
                ]}
                """.write(to: directory.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
            let providersim = CLIRunner.binary.deletingLastPathComponent().appendingPathComponent("providersim").path
            let record = directory.appendingPathComponent("deleted.txt").path
            let maps = map.map { "--map \($0)" }.joined(separator: " ")
            let background = "'\(providersim)' --port 18080 --record '\(record)' --lifetime 60 \(maps)"
            let connection = directory.appendingPathComponent("conn").path
            let environment = "XDG_CACHE_HOME='\(directory.path)/cache' XDG_STATE_HOME='\(directory.path)/state'"
            let probe = "'\(CLIRunner.binary.path)'"
            // In one namespace: start the APIs, pick and connect, show the manifest, release.
            let script = """
                \(background) 2>/dev/null & sim=$!
                i=0; while [ $i -lt 50 ]; do \(environment) \(probe) servers --config '\(directory.path)/config.json' >/dev/null 2>&1 && break; sleep 0.1; i=$((i+1)); done
                \(environment) \(probe) --best --config '\(directory.path)/config.json' --connect '\(connection)' --no-sticky; status=$?
                echo "best-status $status"
                \(environment) \(probe) release --config '\(directory.path)/config.json' '\(connection)'; echo "release-status $?"
                kill -KILL $sim
                exit 0
                """
            let output = try await SimulatedNetwork.run(world, [], prefix: script + "\n:")
            #expect(output.stdout.contains("best-status 0"), "stdout: \(output.stdout) stderr: \(output.stderr)")
            #expect(output.stdout.contains("best: VS 4 (198.18.20.4, vs, DE)"), "\(output.stdout)")
            #expect(output.stdout.contains("connection: wireguard 198.18.20.4:51820/udp in \(connection) (gluetun.env, mihomo-proxy.yaml, probe.conf)"), "\(output.stdout)")
            #expect(output.stdout.contains("release-status 0"), "\(output.stdout) \(output.stderr)")
            #expect(output.stderr.contains("wireguard configuration 41 deleted"), "\(output.stderr)")
            #expect(try String(contentsOfFile: record, encoding: .utf8) == "wireguard-delete 41\n")
            #expect(!FileManager.default.fileExists(atPath: connection))
        }
    }
}
