import Benchmark
import Foundation
import ProviderFetch

/// Decoding and normalising a 50,000-server VPNScript answer (target: under 0.5 s and 200 MB).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident, .mallocCountTotal],
        maxDuration: .seconds(20),
        maxIterations: 10
    )
    var rows: [String] = []
    rows.reserveCapacity(50_000)
    for id in 1...50_000 {
        rows.append(
            #"{"id":\#(id),"name":"Server \#(id)","country":"Germany","country_slug":"germany","country_iso_code":"de","city":"","state":"Frankfurt","host":"","ipaddr":"10.\#(id / 65_536).\#(id / 256 % 256).\#(id % 256)","protocol":"\#(id % 2 == 0 ? "wireguard" : "openvpn")","config_id":\#(id),"wg_available_slots":\#(id % 250),"wg_slots":250}"#)
    }
    let body = Data(#"{"data":[\#(rows.joined(separator: ","))]}"#.utf8)

    Benchmark("VPNScript answer of 50,000 servers: parse and normalise") { benchmark in
        for _ in benchmark.scaledIterations {
            let servers = try ProviderDecoders.vpnscriptServers(try JSONValue.parse(body), provider: "vs").servers
            precondition(servers.count == 50_000)
            blackHole(servers)
        }
    }
}
