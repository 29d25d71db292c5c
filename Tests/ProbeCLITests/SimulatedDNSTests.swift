import Foundation
import NetSim
import Testing

extension SimulatedNetworks {
/// Names served by the simulated network's name server (netsim points the namespace's
/// resolv.conf at it): probe resolves them while it probes.
@Suite struct SimulatedDNSTests {
    /// 1,000 hosts, the best 5 ms away, each also listed under a name answered after `delay` ms.
    static func namedWorld(delay: Double) -> World {
        var world = WorldGenerator.generate(count: 1_000, seed: 11, bestMs: 5)
        world.names = world.hosts.indices.map { SimulatedName(name: "h\($0).sim.test", addresses: [world.hosts[$0].address], delayMs: delay) }
        return world
    }

    @Test func aThousandNamesAt20msCostNoMoreThanTheLookupItself() async throws {
        let world = Self.namedWorld(delay: 20)
        let fastest = try #require(world.hosts.indices.min { world.hosts[$0].rttMs < world.hosts[$1].rttMs })
        let numeric = world.hosts.map { "\($0.address):443" }
        let named = world.hosts.indices.map { "h\($0).sim.test:443" }
        var numericMs: [Double] = []
        var namedMs: [Double] = []
        // Interleaved pairs in one simulated network run each: medians side by side.
        for _ in 0..<3 {
            for (targets, isNamed) in [(numeric, false), (named, true)] {
                // --await-dns: every name is waited for. Without it the early answer may end the first
                // round before the last few answers of a thousand are handled on a loaded machine (by
                // design, tested below with --await-dns and without), and this test is about all of them.
                let run = try await SimulatedNetwork.probe(world, ["--best", "--rate", "0", "--no-sticky", "--await-dns"] + targets)
                let best = try #require(run.json["best"] as? [String: Any])
                #expect(best["address"] as? String == world.hosts[fastest].address)
                let elapsed = try #require(run.json["elapsed_ms"] as? Double)
                if isNamed {
                    namedMs.append(elapsed)
                    #expect(best["host"] as? String == "h\(fastest).sim.test")
                    #expect((best["dns_ms"] as? Double ?? 0) >= 20)
                    #expect((run.json["errors"] as? [Any])?.isEmpty == true, "\(run.json["errors"] ?? "")")
                    // Every lookup was in flight at once: the slowest waited about one answer's 20 ms
                    // (16 blocking lookups at a time, as before, would wait 1,250 ms or more). The
                    // bound is a guard against that, not a timing target: a loaded CI machine slows
                    // the debug build's bookkeeping several-fold.
                    let waited = try #require((run.json["sweep"] as? [String: Any])?["resolve_ms"] as? Double)
                    #expect(waited >= 20 && waited < 600, "slowest lookup \(waited) ms")
                } else {
                    numericMs.append(elapsed)
                }
            }
        }
        let numericMedian = numericMs.sorted()[1], namedMedian = namedMs.sorted()[1]
        print("1,000 hosts, best 5 ms: numeric \(numericMedian) ms, names at 20 ms \(namedMedian) ms (elapsed, medians of 3)")
        // The installed (release) binary stays within 30 ms (Benchmarks/compare/compare_dns.py records
        // that figure); this debug build spends two to three times that on its per-name bookkeeping,
        // more on a loaded machine (CI saw 119 ms). The test asserts the behaviour: lookups one after
        // another would cost 20 s, 16 at a time (as before) 1,250 ms; all at once stays far below.
        #expect(namedMedian - numericMedian <= 600, "names \(namedMs), numeric \(numericMs)")
    }

    @Test func nxdomainAndSilenceArePerTargetErrors() async throws {
        let hosts = [SimulatedHost(address: "198.18.1.1", rttMs: 5), SimulatedHost(address: "198.18.1.2", rttMs: 9)]
        let world = World(hosts: hosts, names: [
            SimulatedName(name: "ok.sim.test", addresses: ["198.18.1.1"], delayMs: 5),
            SimulatedName(name: "gone.sim.test", addresses: [], nxdomain: true),
            SimulatedName(name: "hang.sim.test", addresses: ["198.18.1.2"], timeout: true),
        ])
        let targets = ["ok.sim.test:443", "gone.sim.test:443", "hang.sim.test:443", "198.18.1.2:443"]
        // Full runs wait for every lookup: the silent one fails at --dns-timeout.
        let full = try await SimulatedNetwork.probe(world, ["rank", "--dns-timeout", "400"] + targets)
        let messages = (full.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        #expect(messages.contains("cannot resolve 'gone.sim.test': no such host (NXDOMAIN)"), "\(messages)")
        #expect(messages.contains("cannot resolve 'hang.sim.test': no answer from the name server within 400 ms"), "\(messages)")
        #expect((full.json["best"] as? [String: Any])?["host"] as? String == "ok.sim.test")
        // The early answer does not wait for the silent name once everything else has answered.
        let early = try await SimulatedNetwork.probe(world, ["--best", "--dns-timeout", "20000"] + targets)
        let earlyMessages = (early.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        #expect(earlyMessages.contains { $0.hasPrefix("cannot resolve 'hang.sim.test': not resolved after ") }, "\(earlyMessages)")
        #expect((early.json["elapsed_ms"] as? Double ?? .infinity) < 10_000)  // not the 20 s timeout
        // ...unless asked to.
        let awaited = try await SimulatedNetwork.probe(world, ["--best", "--await-dns", "--dns-timeout", "400"] + targets)
        let awaitedMessages = (awaited.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        #expect(awaitedMessages.contains("cannot resolve 'hang.sim.test': no answer from the name server within 400 ms"), "\(awaitedMessages)")
    }

    /// getaddrinfo on threads (PROBE_RESOLVER=system, as where nsswitch.conf asks more than DNS)
    /// has no timeout of its own: --dns-timeout still ends a silent lookup, and names that answer
    /// are probed.
    @Test func theSystemResolverKeepsTheDNSTimeout() async throws {
        let world = World(hosts: [SimulatedHost(address: "198.18.1.1", rttMs: 5)], names: [
            SimulatedName(name: "ok.sim.test", addresses: ["198.18.1.1"], delayMs: 5),
            SimulatedName(name: "hang.sim.test", addresses: ["198.18.1.1"], timeout: true),
        ])
        let started = ContinuousClock.now
        let output = try await SimulatedNetwork.run(world, ["rank", "--dns-timeout", "300", "--json", "ok.sim.test:443", "hang.sim.test:443"],
                                                    prefix: "PROBE_RESOLVER=system exec")
        let elapsed = ContinuousClock.now - started
        #expect(output.status == 0, "stderr: \(output.stderr)")
        let report = try output.json()
        let messages = (report["errors"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        #expect(messages.contains("cannot resolve 'hang.sim.test': no answer within 300 ms"), "\(messages)")
        #expect((report["best"] as? [String: Any])?["host"] as? String == "ok.sim.test")
        // glibc alone would wait its own timeout (1 s, two attempts, per resolv.conf).
        #expect(elapsed < .seconds(1.8), "took \(elapsed)")
    }

    @Test func familyBothRanksEachFamilyAsItsOwnEntry() async throws {
        let hosts = [SimulatedHost(address: "198.18.1.1", rttMs: 8), SimulatedHost(address: "2001:db8::1:1", rttMs: 4)]
        let world = World(hosts: hosts, names: [SimulatedName(name: "dual.sim.test", addresses: ["198.18.1.1", "2001:db8::1:1"])])
        let both = try await SimulatedNetwork.probe(world, ["rank", "--family", "both", "dual.sim.test:443"])
        let ranked = both.json["ranked"] as? [[String: Any]] ?? []
        #expect(ranked.compactMap { $0["address"] as? String } == ["2001:db8::1:1", "198.18.1.1"])
        let four = try await SimulatedNetwork.probe(world, ["rank", "--family", "4", "dual.sim.test:443"])
        #expect((four.json["ranked"] as? [[String: Any]])?.compactMap { $0["address"] as? String } == ["198.18.1.1"])
        let any = try await SimulatedNetwork.probe(world, ["rank", "dual.sim.test:443"])
        #expect((any.json["ranked"] as? [[String: Any]])?.compactMap { $0["address"] as? String } == ["2001:db8::1:1"])  // RFC 6724: routable IPv6 first
    }
}
}
