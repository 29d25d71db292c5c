import Foundation
import NetSim
import Testing

/// Runs probe in the simulated network with the provider APIs (`providersim`) on the namespace's
/// own loopback, serving the given server lists.
enum SimulatedProviders {
    static let url = "http://127.0.0.1:18080"

    /// Providers named in `providers` (of xm, vs, nm, xp), their lists from `answers` (route to JSON),
    /// then `probe ARGS --config FILE --no-sticky --json`: the report.
    static func best(_ world: World, providers: [String], answers: [String: String], _ arguments: [String] = ["--best"]) async throws -> [String: Any] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("probe-simproviders-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        let all = [
            "xm": #"{"type": "xmplus", "name": "xm", "url": "\#(url)", "email": "me@example.org", "password": "xm-Secret-Pa55", "apiKey": "xm-api-KEY-4242"}"#,
            "vs": #"{"type": "vpnscript", "name": "vs", "url": "\#(url)", "username": "me", "password": "vs-Secret-Pa55"}"#,
            "nm": #"{"type": "netmimic", "name": "nm", "url": "\#(url)", "email": "me@example.org", "password": "nm-Secret-Pa55"}"#,
            "xp": #"{"type": "json", "name": "xp", "url": "\#(url)", "auth": {"type": "xpay", "username": "me@example.org", "secretKey": "xp-Secret-KEY-77"}, "request": {"method": "POST", "path": "/client/servers"}, "items": "success.data.items", "fields": {"name": "label"}}"#,
        ]
        let config = directory.appendingPathComponent("config.json").path
        try #"{"providers": [\#(providers.compactMap { all[$0] }.joined(separator: ","))]}"#.write(toFile: config, atomically: true, encoding: .utf8)
        var flags: [String] = []
        for (route, json) in answers {
            let file = directory.appendingPathComponent("\(route).json").path
            try json.write(toFile: file, atomically: true, encoding: .utf8)
            flags.append("--answer '\(route)=\(file)'")
        }
        let providersim = CLIRunner.binary.deletingLastPathComponent().appendingPathComponent("providersim").path
        let environment = "XDG_CACHE_HOME='\(directory.path)/cache' XDG_STATE_HOME='\(directory.path)/state'"
        let probe = "'\(CLIRunner.binary.path)'"
        let quoted = (arguments + ["--config", config, "--no-sticky", "--json"]).map { "'\($0)'" }.joined(separator: " ")
        let script = """
            '\(providersim)' --port 18080 --lifetime 60 \(flags.joined(separator: " ")) 2>/dev/null & sim=$!
            i=0; while [ $i -lt 50 ]; do \(environment) \(probe) servers --config '\(config)' >/dev/null 2>&1 && break; sleep 0.1; i=$((i+1)); done
            \(environment) \(probe) \(quoted); status=$?
            kill -KILL $sim
            exit $status
            """
        let output = try await SimulatedNetwork.run(world, [], prefix: script + "\n:")
        #expect(output.status == 0, "stderr: \(output.stderr)")
        return try output.json()
    }

    static func bestName(_ report: [String: Any]) -> String? {
        ((report["best"] as? [String: Any])?["server"] as? [String: Any])?["name"] as? String
    }
}

extension SimulatedNetworks {
    /// Capacity figures in the simulated network, with the real provider APIs: they break near-ties
    /// and flag full servers, never hand the pick to a server four times farther away.
    @Suite struct SimulatedFairnessTests {
        /// A NetMimic server 6 ms away reporting 60 connections (its provider's busiest: 67) against
        /// an XMPlus server 25.9 ms away that reports no load: the near one wins.
        @Test func theFastestServerOfALoadReportingProviderWins() async throws {
            var hosts = [SimulatedHost(address: "198.18.30.1", rttMs: 6, tcpOpen: [443]), SimulatedHost(address: "198.18.31.1", rttMs: 25.9, tcpOpen: [443])]
            hosts += (2...5).map { SimulatedHost(address: "198.18.30.\($0)", rttMs: 40, tcpOpen: [443]) }
            let netmimic = #"{"data":[{"id":"n1","name":"NM fast","ipaddr":"198.18.30.1","port":"443","active_connections":60},"#
                + #"{"id":"n2","name":"NM busiest","ipaddr":"198.18.30.2","port":"443","active_connections":67},"#
                + #"{"id":"n3","name":"NM 3","ipaddr":"198.18.30.3","port":"443","active_connections":30},"#
                + #"{"id":"n4","name":"NM 4","ipaddr":"198.18.30.4","port":"443","active_connections":20},"#
                + #"{"id":"n5","name":"NM 5","ipaddr":"198.18.30.5","port":"443","active_connections":38}]}"#
            let xmplus = #"{"ret":1,"status":"success","servers":[{"type":"vmess","remark":"XM far","address":"198.18.31.1","port":443,"network":"tcp","uri":""}]}"#
            let report = try await SimulatedProviders.best(World(hosts: hosts), providers: ["nm", "xm"],
                                                           answers: ["netmimic.servers": netmimic, "xmplus.servers": xmplus], ["--best", "--method", "tcp"])
            #expect(SimulatedProviders.bestName(report) == "NM fast", "\(report["best"] ?? "")")
            let terms = try #require((report["best"] as? [String: Any])?["score_terms"] as? [String: Any])
            #expect((terms["load"] as? Double ?? 99) <= 10 && (terms["load_rule"] as? String)?.contains("above the provider's median of 38") == true, "\(terms)")
        }

        @Test(arguments: [(0.5, "XP fast"), (0.98, "XP near")])
        func aUtilisationCountsOnlyNearSaturation(load: Double, winner: String) async throws {
            let hosts = [SimulatedHost(address: "198.18.32.1", rttMs: 5, tcpOpen: [443]), SimulatedHost(address: "198.18.32.2", rttMs: 8, tcpOpen: [443])]
            let xpay = #"{"success":{"data":{"items":[{"host":"198.18.32.1","port":443,"label":"XP fast","load":\#(load)},"#
                + #"{"host":"198.18.32.2","port":443,"label":"XP near","load":0.2}]}}}"#
            let report = try await SimulatedProviders.best(World(hosts: hosts), providers: ["xp"], answers: ["xpay.servers": xpay],
                                                           ["--best", "--method", "tcp", "--full"])
            #expect(SimulatedProviders.bestName(report) == winner, "\(report["ranked"] ?? "")")
        }

        @Test(arguments: [(2, "WG far"), (40, "WG near")])
        func freeWireGuardSlotsBreakANearTie(free: Int, winner: String) async throws {
            let hosts = [SimulatedHost(address: "198.18.33.1", rttMs: 5), SimulatedHost(address: "198.18.33.2", rttMs: 6)]
            let vpnscript = #"{"data":[{"id":1,"name":"WG near","country":"Germany","country_iso_code":"de","ipaddr":"198.18.33.1","protocol":"wireguard","wg_available_slots":\#(free),"wg_slots":0},"#
                + #"{"id":2,"name":"WG far","country":"Germany","country_iso_code":"de","ipaddr":"198.18.33.2","protocol":"wireguard","wg_available_slots":180,"wg_slots":0}]}"#
            let report = try await SimulatedProviders.best(World(hosts: hosts), providers: ["vs"], answers: ["vpnscript.servers": vpnscript],
                                                           ["--best", "--full", "--samples", "5", "--country", "Germany"])
            #expect(SimulatedProviders.bestName(report) == winner, "\(report["ranked"] ?? "")")
        }
    }
}
