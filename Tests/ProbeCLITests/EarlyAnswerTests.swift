import Foundation
import NetSim
import Testing

extension SimulatedNetworks {
/// `probe --best` answers early: one cheap probe each, the rest only to the finalists.
@Suite struct EarlyAnswerTests {
    static func world(seed: Int, hosts: Int = 300) -> World {
        WorldGenerator.generate(count: hosts, seed: UInt64(seed), rtt: 20...250, bestMs: 5)
    }

    /// The issue's bar is the same pick as a full sweep in at least 19 of 20 seeds (the README's
    /// figure, from Benchmarks/compare/early_answer.py, has 20 of 20); here 8 seeds of 300 hosts, at most one miss.
    @Test func theEarlyAnswerPicksWhatTheFullSweepPicks() async throws {
        var same = 0
        for seed in 1...8 {
            let world = Self.world(seed: seed)
            let file = try CLIRunner.temporaryFile(world.hosts.map { "\($0.address):443" }.joined(separator: "\n"))
            let early = try await SimulatedNetwork.probe(world, ["--best", "--no-sticky", "--targets", file.path])
            let full = try await SimulatedNetwork.probe(world, ["--best", "--full", "--no-sticky", "--timeout", "300", "--targets", file.path])
            let earlyBest = try #require(early.json["best"] as? [String: Any])
            let fullBest = try #require(full.json["best"] as? [String: Any])
            if earlyBest["target"] as? String == fullBest["target"] as? String { same += 1 }
            // The winner was measured in full (three TCP samples), not on its one first-round probe.
            #expect(earlyBest["sent"] as? Int == 3 && earlyBest["method"] as? String == "tcp")
            let summary = try #require(early.json["early"] as? [String: Any])
            let pruned = try #require(summary["pruned"] as? Int)
            #expect(pruned > world.hosts.count / 2, "\(summary)")
            let probes = try #require(summary["probes"] as? Int)
            let fullProbes = try #require((full.json["sweep"] as? [String: Any])?["probes_started"] as? Int)
            #expect(probes * 4 < fullProbes, "early \(probes) probes, full \(fullProbes)")
            // Pruned servers stay in the ranking, left out with the reason.
            let ranked = try #require(early.json["ranked"] as? [[String: Any]])
            #expect(ranked.count == world.hosts.count)
            let prunedEntries = ranked.filter { $0["state"] as? String == "pruned" }
            #expect(prunedEntries.allSatisfy { ($0["excluded"] as? String)?.contains("cutoff") == true && $0["score"] is NSNull })
            #expect(full.json["early"] == nil)
        }
        #expect(same >= 7, "the early answer matched the full sweep in \(same) of 8 seeds")
    }

    /// One reactor and one token bucket for the whole answer: `--rate 1000` holds across the
    /// first round and the finalists' full measurements together, counted from the packets netsim
    /// received (every TCP SYN and echo request), in every 100 ms window of the run.
    @Test func theRateHoldsAcrossTheFirstAndFinalRounds() async throws {
        // Many servers near the best: many finalists measured while the first round goes on.
        let world = WorldGenerator.generate(count: 400, seed: 3, rtt: 6...14, bestMs: 5)
        let file = try CLIRunner.temporaryFile(world.hosts.map { "\($0.address):443" }.joined(separator: "\n"))
        let (run, arrivals) = try await SimulatedNetwork.probeWithArrivals(world, ["--best", "--no-sticky", "--rate", "1000", "--targets", file.path])
        let early = try #require(run.json["early"] as? [String: Any])
        #expect((early["finalists"] as? Int ?? 0) >= 8, "\(early)")
        let sorted = arrivals.sorted()
        #expect(sorted.count >= 400, "\(sorted.count) probe starts")
        // Every window of 100 ms, sliding from each arrival: at most 100 starts plus the bucket's
        // one-token burst (and a little for the TUN's own scheduling jitter at the edges).
        var worst = 0
        var low = 0
        for high in sorted.indices {
            while sorted[high] - sorted[low] >= 100_000_000 { low += 1 }
            worst = max(worst, high - low + 1)
        }
        #expect(worst <= 104, "\(worst) probe starts within 100 ms at --rate 1000")
        // Finalists' probes were among them: more starts than the first round's one per host.
        #expect(sorted.count > world.hosts.count)
    }

    @Test func theIncumbentIsMeasuredInFullAndTheHistoryIsKept() async throws {
        var hosts = [SimulatedHost(address: "198.18.9.1", rttMs: 5), SimulatedHost(address: "198.18.9.2", rttMs: 40)]
        hosts += (3..<60).map { SimulatedHost(address: "198.18.9.\($0)", rttMs: 100 + Double($0)) }
        let state = try CLIRunner.temporaryFile(#"{"choice": "198.18.9.2:443", "pendingCount": 0}"#, name: "state.json")
        let targets = hosts.map { "\($0.address):443" }
        let run = try await SimulatedNetwork.probe(World(hosts: hosts), ["--best", "--state", state.path] + targets)
        // 40 ms is far beyond the 12.5 ms cutoff, but the incumbent always gets every sample...
        let incumbent = try #require(run.entry("198.18.9.2"))
        #expect(incumbent["sent"] as? Int == 3 && incumbent["state"] as? String == "open")
        // ...and loses fairly: 5 ms is 35 ms better and an eighth of it.
        let sticky = try #require(run.json["sticky"] as? [String: Any])
        #expect(sticky["choice"] as? String == "198.18.9.1:443" && sticky["switched"] as? Bool == true)
        let saved = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: state)) as? [String: Any])
        let history = try #require(saved["history"] as? [String: [[String: Any]]])
        #expect(history["198.18.9.1:443"]?.count == 1 && history["198.18.9.2:443"]?.count == 1)
        #expect(saved["choice"] as? String == "198.18.9.1:443")
    }
}
}

extension SimulatedNetworks {
/// Pacing that watches itself: a saturated local link is told apart from lossy servers.
@Suite struct SelfPacingTests {
    @Test func aSaturatedLinkIsNoticedAndItsTargetsReprobedSlower() async throws {
        let hosts = (0..<400).map { SimulatedHost(address: "198.18.\(1 + $0 / 250).\(1 + $0 % 250)", rttMs: 10 + Double($0) / 10) }
        let world = World(hosts: hosts, linkPps: 3_000)
        let file = try CLIRunner.temporaryFile(hosts.map { "\($0.address):443" }.joined(separator: "\n"))
        let run = try await SimulatedNetwork.probe(world, ["rank", "--method", "tcp", "--timeout", "300", "--targets", file.path])
        #expect(run.stats.droppedByLink > 50, "the link did drop requests")
        let notes = try #require(run.json["notes"] as? [String])
        #expect(notes.contains { $0.hasPrefix("pacing:") && $0.contains("saturating the local link") }, "\(notes)")
        let ranked = try #require(run.json["ranked"] as? [[String: Any]])
        #expect(ranked.allSatisfy { $0["state"] as? String == "open" && $0["loss"] as? Double == 0 })
    }

    @Test func lossyServersAreNotBlamedOnTheLink() async throws {
        let dead = (1...40).map { SimulatedHost(address: "198.18.5.\($0)", rttMs: 5, loss: 1) }
        let fine = (41...80).map { SimulatedHost(address: "198.18.5.\($0)", rttMs: 5) }
        let run = try await SimulatedNetwork.probe(
            World(hosts: dead + fine), ["rank", "--method", "tcp", "--timeout", "200"] + (dead + fine).map(\.address))
        let notes = try #require(run.json["notes"] as? [String])
        #expect(notes.contains { $0.contains("the servers are losing packets") }, "\(notes)")
        #expect(run.entry("198.18.5.1")?["state"] as? String == "timeout")
    }
}
}
