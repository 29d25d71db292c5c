// The workloads `Benchmarks/` measures, built here where the engine, the ranking and the decoders
// are visible (they are `package` API). Not part of the product: ProbeKit is; this library exists
// so the benchmark package, which is its own package, can run them.
import Foundation
import Prober
import ProviderFetch
import Ranking

/// A TCP-connect sweep over `count` closed loopback ports (127.3.x.y:9): one sample each.
public struct TCPSweepWorkload: Sendable {
    private let targets: [ProbeTarget]
    private let engine: ProbeEngine

    /// The sweep, `maxInFlight` sockets at most, no rate limit.
    public init(count: Int, maxInFlight: Int = 256) {
        targets = (0..<count).map { ProbeTarget(host: "127.3.\($0 / 250).\($0 % 250 + 1)", port: 9) }
        engine = ProbeEngine(options: ProbeOptions(maxInFlight: maxInFlight, rate: 0, timeoutMilliseconds: 1_000, samples: 1))
    }

    /// Runs it; returns how many results came back.
    public func run() async -> Int { await engine.probe(targets).results.count }
}

/// Ranking `count` measured candidates (scores, capacity rules, filters, sort).
public struct RankingWorkload: Sendable {
    private let candidates: [Candidate]
    private let filter: CandidateFilter

    /// `count` candidates with varied figures; with `providerFigures`, providers, countries,
    /// protocols, WireGuard slots and loads too, ranked with a `wireguard` filter.
    public init(count: Int, providerFigures: Bool) {
        var candidates: [Candidate] = []
        candidates.reserveCapacity(count)
        for index in 0..<count {
            let median = Double((index &* 7_919) % 300) + Double(index % 97) / 100
            if providerFigures {
                candidates.append(Candidate(
                    id: "198.18.\(index / 65_536).\(index / 256 % 256).\(index % 256):443", status: index % 11 == 0 ? .down : .up,
                    medianMilliseconds: median, p90Milliseconds: median + Double(index % 13), jitterMilliseconds: Double(index % 7),
                    loss: Double(index % 5) / 20, provider: "p\(index % 4)", country: index % 3 == 0 ? "DE" : "NL",
                    protocol: index % 2 == 0 ? "wireguard" : "openvpn", wgAvailableSlots: index % 250, wgSlots: 250,
                    load: Double(index % 100) / 100, loadKind: .utilisation))
            } else {
                candidates.append(Candidate(id: "s\(index)", status: index % 7 == 0 ? .down : .up, medianMilliseconds: median,
                                            p90Milliseconds: median + Double(index % 50), jitterMilliseconds: 1, loss: Double(index % 4) / 10))
            }
        }
        self.candidates = candidates
        filter = providerFigures ? CandidateFilter(protocols: ["wireguard"]) : CandidateFilter()
    }

    /// Ranks them; returns how many were ranked.
    public func run() -> Int { Ranker.order(candidates, filter: filter).indices.count }
}

/// Decoding and normalising a VPNScript server list of `count` servers.
public struct VPNScriptDecodeWorkload: Sendable {
    private let body: Data

    /// The answer, as the documented shape (addresses in 198.18.0.0/15: never probed here).
    public init(count: Int) {
        var rows: [String] = []
        rows.reserveCapacity(count)
        for id in 1...max(1, count) {
            rows.append(
                #"{"id":\#(id),"name":"Server \#(id)","country":"Germany","country_slug":"germany","country_iso_code":"de","city":"","state":"Frankfurt","host":"","ipaddr":"198.18.\#(id / 256 % 256).\#(id % 256)","protocol":"\#(id % 2 == 0 ? "wireguard" : "openvpn")","config_id":\#(id),"wg_available_slots":\#(id % 250),"wg_slots":250}"#)
        }
        body = Data(#"{"data":[\#(rows.joined(separator: ","))]}"#.utf8)
    }

    /// Parses and normalises it; returns how many servers came out (0 on a decoding error).
    public func run() -> Int {
        guard let json = try? JSONValue.parse(body), let page = try? ProviderDecoders.vpnscriptServers(json, provider: "vs") else { return 0 }
        return page.servers.count
    }
}
