import Foundation
import NetSim
import Testing

/// ICMP inside netsim: accuracy, loss, silent hosts, IPv6, and no cross-talk with fping.
extension SimulatedNetworks {
@Suite struct SimulatedICMPTests {
    static let fping = ["/usr/bin/fping", "/usr/sbin/fping", "/usr/local/bin/fping"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static func target(_ host: SimulatedHost) -> String { host.address.contains(":") ? "[\(host.address)]" : host.address }

    @Test(arguments: ["ping", "raw"])
    func zeroJitterHostsAreMeasuredWithinTolerance(socket: String) async throws {
        let hosts = [1.0, 5, 20, 80, 250].enumerated().map { SimulatedHost(address: "198.18.5.\($0.offset + 1)", rttMs: $0.element) }
            + [SimulatedHost(address: "2001:db8::51", rttMs: 12)]
        let run = try await SimulatedNetwork.probe(
            World(hosts: hosts), ["rank", "--method", "icmp", "--icmp-socket", socket, "--samples", "5", "--interval", "10"] + hosts.map(Self.target))
        let sweep = try #require(run.json["sweep"] as? [String: Any])
        #expect(sweep["icmp_socket"] as? String == socket)
        // netsim's measured lateness bounds the reply side; reading the request has the same
        // wake-up tail and is invisible on a TUN device, so the bound counts it twice.
        let lateness = 2 * run.stats.maxUs / 1_000
        for host in hosts {
            let entry = try #require(run.entry(host.address))
            #expect(entry["method"] as? String == "icmp" && entry["state"] as? String == "alive")
            #expect(entry["timing"] as? String == "kernel")
            let rtt = try #require(entry["rtt_ms"] as? [String: Double])
            let median = try #require(rtt["median"])
            let tolerance = max(0.5, 0.02 * host.rttMs) + lateness
            #expect(abs(median - host.rttMs) <= tolerance, "\(host.address): \(median) ms for \(host.rttMs) ms")
            #expect(try #require(rtt["min"]) >= host.rttMs - 0.01)
        }
    }

    @Test func lossIsCountedExactly() async throws {
        let world = World(hosts: [SimulatedHost(address: "198.18.6.1", rttMs: 2, loss: 0.5)])
        let run = try await SimulatedNetwork.probe(world, ["rank", "--method", "icmp", "--samples", "200", "--interval", "2", "--timeout", "200", "198.18.6.1"])
        let entry = try #require(run.entry("198.18.6.1"))
        #expect((0.35...0.65).contains(try #require(entry["loss"] as? Double)))
        #expect(200 - (entry["received"] as? Int ?? -1) == run.stats.droppedByLoss)
    }

    @Test func icmpSilentAndTCPFilteredHostsInAuto() async throws {
        let world = World(hosts: [
            SimulatedHost(address: "198.18.7.1", rttMs: 8, icmp: false, tcpOpen: [443]),       // ignores ping
            SimulatedHost(address: "198.18.7.2", rttMs: 6, tcpOpen: [], tcpFiltered: [443]),    // WireGuard-like: ping only
            SimulatedHost(address: "198.18.7.3", rttMs: 4, icmp: false, tcpOpen: [], tcpFiltered: [443]),  // answers nothing
        ])
        let run = try await SimulatedNetwork.probe(world, ["rank", "--timeout", "300", "198.18.7.1", "198.18.7.2", "198.18.7.3"])
        let silent = try #require(run.entry("198.18.7.1"))
        #expect(silent["state"] as? String == "open" && silent["method"] as? String == "tcp")
        #expect((silent["icmp"] as? [String: Any])?["state"] as? String == "timeout")
        let pingOnly = try #require(run.entry("198.18.7.2"))
        #expect(pingOnly["state"] as? String == "alive" && pingOnly["method"] as? String == "icmp")
        #expect((pingOnly["tcp"] as? [String: Any])?["state"] as? String == "timeout")
        let dark = try #require(run.entry("198.18.7.3"))
        #expect(dark["reachable"] as? Bool == false && dark["score"] is NSNull)
        let ranked = try #require(run.json["ranked"] as? [[String: Any]])
        #expect(ranked.map { $0["address"] as? String } == ["198.18.7.2", "198.18.7.1", "198.18.7.3"])
    }

    @Test(arguments: ["ping", "raw"])
    func fpingAtTheSameTimeNeverCrossTalks(socket: String) async throws {
        let fping = try #require(Self.fping, "fping is not installed (Debian's 'fping' package)")
        let hosts = (0..<20).map { SimulatedHost(address: "198.18.8.\($0 + 1)", rttMs: Double(2 + $0 * 7)) }
        let addresses = hosts.map(\.address).joined(separator: " ")
        // fping pings the same hosts, as fast as it may, the whole time probe runs.
        let probeArguments = ["rank", "--method", "icmp", "--icmp-socket", socket, "--samples", "30", "--interval", "5"] + hosts.map(\.address)
        let run = try await SimulatedNetwork.probe(
            World(hosts: hosts), probeArguments, background: "\(fping) -q -l -i 1 -p 5 -t 1000 \(addresses) >/dev/null 2>&1")
        #expect(run.stats.packetsServed > 20 * 30 + 500, "fping did not run alongside")
        // netsim measures how late its replies leave; how late it read the request (the same
        // idle wake-up tail on this VM) it cannot see on a TUN device, so the bound counts it twice.
        // A reply matched to the wrong request would break the lower bound, which stays tight.
        let lateness = 2 * run.stats.maxUs / 1_000
        for host in hosts {
            let entry = try #require(run.entry(host.address))
            #expect(entry["received"] as? Int == 30)
            let samples = try #require(entry["samples"] as? [[String: Any]])
            for sample in samples {
                let rtt = try #require(sample["rtt_ms"] as? Double)
                let tolerance = max(0.5, 0.02 * host.rttMs) + lateness
                #expect(rtt >= host.rttMs - 0.01 && rtt <= host.rttMs + tolerance, "\(host.address): sample \(rtt) ms for \(host.rttMs) ms")
            }
        }
    }

    @Test(arguments: ["ping", "raw"])
    func icmpErrorsMakeSamplesUnreachableWithTheirCode(socket: String) async throws {
        let world = World(hosts: [SimulatedHost(address: "198.18.10.1", rttMs: 3, unreachable: true),
                                  SimulatedHost(address: "2001:db8::a1", rttMs: 4, unreachable: true)])
        let run = try await SimulatedNetwork.probe(
            world, ["rank", "--method", "both", "--icmp-socket", socket, "--samples", "2", "--timeout", "10000", "198.18.10.1", "[2001:db8::a1]"],
            expectStatus: 2)
        for (address, name) in [("198.18.10.1", "host-unreachable (ICMP 3/1)"), ("2001:db8::a1", "address-unreachable (ICMPv6 1/3)")] {
            let entry = try #require(run.entry(address))
            #expect(entry["state"] as? String == "unreachable")
            let icmp = try #require(entry["icmp"] as? [String: Any])
            let icmpSamples = try #require(icmp["samples"] as? [[String: Any]])
            #expect(icmpSamples.map { $0["errno"] as? String } == [name, name])
            let tcp = try #require(entry["tcp"] as? [String: Any])
            #expect((tcp["samples"] as? [[String: Any]])?.allSatisfy { $0["errno"] as? String == "EHOSTUNREACH" } == true)
        }
        #expect(try #require(run.json["elapsed_ms"] as? Double) < 5_000)  // errors end samples at once, not at the 10 s timeout
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs setpriv to drop privileges"))
    func withoutPermissionAutoGoesOnWithTCPAndIcmpExits77() async throws {
        let world = World(hosts: [SimulatedHost(address: "198.18.9.1", rttMs: 3, tcpOpen: [443])])
        let forbid = "echo '1 0' > /proc/sys/net/ipv4/ping_group_range; exec /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups"
        let icmp = try await SimulatedNetwork.run(world, ["--best", "--method", "icmp", "198.18.9.1"], prefix: forbid)
        #expect(icmp.status == 77)
        #expect(icmp.stderrLines.count == 1)
        #expect(icmp.stderr.contains("net.ipv4.ping_group_range") && icmp.stderr.contains("CAP_NET_RAW"))
        let auto = try await SimulatedNetwork.run(world, ["--best", "198.18.9.1"], prefix: forbid)
        #expect(auto.status == 0)
        #expect(auto.stdout.hasPrefix("best: 198.18.9.1"))
        #expect(auto.stderrLines.count == 1 && auto.stderr.contains("going on with TCP alone"))
    }
}
}

extension SimulatedNetworks.SimulatedICMPTests {
    @Test func aMiddleboxAnsweringHandshakesIsNoticedAndICMPDecides() async throws {
        let rtts: [Double] = [30, 10, 50, 20, 40, 60, 70, 80]
        let hosts = rtts.enumerated().map { SimulatedHost(address: "198.18.13.\($0.offset + 1)", rttMs: $0.element, tcpRttMs: 0.2) }
        let run = try await SimulatedNetwork.probe(World(hosts: hosts), ["--best", "--no-sticky"] + hosts.map(\.address))
        let best = try #require(run.json["best"] as? [String: Any])
        #expect(best["address"] as? String == "198.18.13.2")  // the 10 ms host by ICMP
        #expect(best["method"] as? String == "icmp")
        let notes = try #require(run.json["notes"] as? [String])
        #expect(notes.first?.contains("local proxy or firewall") == true)
    }
}
