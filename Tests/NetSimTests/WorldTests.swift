import Foundation
import Testing
@testable import NetSim

@Suite struct WorldTests {
    @Test func decodesTheDocumentedShapeAndIgnoresUnknownKeys() throws {
        let world = try World.decode(Data("""
            {"hosts": [{"address": "198.18.1.1", "rtt_ms": 20, "jitter_ms": 0, "loss": 0, "icmp": true,
                        "tcp_open": [443], "tcp_filtered": [], "icmp_rate": 0, "comment": "ignored"},
                       {"address": "2001:db8::9", "rtt_ms": 3.5}]}
            """.utf8))
        #expect(world.hosts.count == 2)
        #expect(world.hosts[0].rttMs == 20 && world.hosts[0].tcpOpen == [443])
        #expect(world.hosts[1].icmp && world.hosts[1].loss == 0 && world.hosts[1].tcpOpen.isEmpty)
    }

    @Test(arguments: [
        (#"{"hosts":[{"address":"198.18.1.1","rtt_ms":-1}]}"#, "host 0 (198.18.1.1): rtt_ms"),
        (#"{"hosts":[{"address":"198.18.1.1","rtt_ms":1,"loss":1.5}]}"#, "host 0 (198.18.1.1): loss"),
        (#"{"hosts":[{"address":"198.18.1.1","rtt_ms":1},{"address":"127.0.0.9","rtt_ms":1}]}"#, "host 1 (127.0.0.9): address must be in"),
        (#"{"hosts":[{"address":"198.18.1.1","rtt_ms":1},{"address":"198.18.1.1","rtt_ms":2}]}"#, "host 1 (198.18.1.1): address appears twice"),
        (#"{"hosts":[{"address":"198.18.0.1","rtt_ms":1}]}"#, "netsim's own local address"),
        (#"{"hosts":[{"address":"198.18.1.1","rtt_ms":1,"tcp_open":[70000]}]}"#, "port 70000"),
        (#"{"hosts":[{"address":"198.18.1.1","rtt_ms":1,"tcp_open":[443],"tcp_filtered":[443]}]}"#, "both open and filtered"),
        (#"{"hosts":[{"address":"198.18.1.1","rtt_ms":"fast"}]}"#, "host 0 (198.18.1.1): rtt_ms: expected a number"),
        (#"{"hosts":[{"address":"nope","rtt_ms":1}]}"#, "host 0 (nope): address is not"),
        (#"{"hosts":[{"rtt_ms":1}]}"#, "missing key 'address'"),
        (#"{"hosts": ["#, "not valid JSON"),
    ])
    func badValuesGetOneLineNamingTheHost(json: String, expected: String) {
        #expect {
            try World.decode(Data(json.utf8), source: "w.json")
        } throws: { error in
            let text = (error as? WorldError)?.description ?? ""
            return text.hasPrefix("w.json: ") && text.contains(expected) && !text.contains("\n")
        }
    }

    @Test(arguments: [1, 7, 99])
    func generatedWorldsAreReproducibleValidAndHaveOneCleanFastestHost(seed: UInt64) throws {
        let world = WorldGenerator.generate(count: 500, seed: seed, ipv6: 40)
        #expect(world == WorldGenerator.generate(count: 500, seed: seed, ipv6: 40))
        #expect(world != WorldGenerator.generate(count: 500, seed: seed + 1, ipv6: 40))
        try world.validate()
        #expect(world.hosts.filter { $0.address.contains(":") }.count == 40)
        #expect(Set(world.hosts.map(\.rttMs)).count == 500)  // every RTT distinct
        let fastest = try #require(world.hosts.min { $0.rttMs < $1.rttMs })
        #expect(fastest.jitterMs == 0 && fastest.loss == 0 && fastest.tcpOpen == [443] && fastest.icmp)
        #expect(world.hosts.allSatisfy { $0.rttMs >= 1 && $0.rttMs <= 300 })
        let sorted = world.hosts.map(\.rttMs).sorted()
        #expect(sorted[1] - sorted[0] >= 1 - 1e-9)  // the best leads by a millisecond at least
        // A mix: some jitter, loss, ICMP-silent, filtered and closed hosts.
        #expect(world.hosts.contains { $0.jitterMs > 0 } && world.hosts.contains { $0.loss > 0 })
        #expect(world.hosts.contains { !$0.icmp } && world.hosts.contains { $0.tcpFiltered == [443] })
        #expect(world.hosts.contains { $0.tcpOpen == [22] })
    }

    @Test func latenessPercentiles() {
        let stats = LatenessStats(lateness: (1...100).map { UInt32($0 * 1_000) }, counters: Responder.Counters(), durationSeconds: 1)
        #expect(stats.p50Us == 50 && stats.p99Us == 99 && stats.maxUs == 100 && stats.packetsServed == 100)
    }
}
