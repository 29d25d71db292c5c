import Foundation
import Testing
@testable import Prober

/// ICMP echo on loopback with real sockets. Needs a ping socket or a raw socket; skipped otherwise.
@Suite(.enabled(if: ICMPPermission.granted, "needs ICMP permission: a ping socket (net.ipv4.ping_group_range) or CAP_NET_RAW"))
struct ICMPProbeTests {
    static let options = ProbeOptions(rate: 0, timeoutMilliseconds: 1_000, samples: 3, intervalMilliseconds: 1)

    @Test func loopbackAnswersEchoWithKernelTiming() async throws {
        let report = await ProbeEngine(options: Self.options).probe([ProbeTarget(host: "127.0.0.1", port: 443)], methods: [.icmp])
        let result = try #require(report.results.first)
        let icmp = try #require(result.icmp)
        #expect(icmp.state == .alive && icmp.received == 3 && icmp.timing == .kernel)
        #expect(icmp.socketKind != nil)
        #expect(result.tcp == nil)
        #expect(try #require(icmp.rtt).max < 50)
        #expect(report.summary.icmpSocket == icmp.socketKind)
    }

    @Test func ipv6LoopbackToo() async throws {
        guard (try? ICMPSocket.open(family: .inet6, preference: .auto)) != nil else {
            print("skipped: no ICMPv6 socket on this machine")
            return
        }
        let result = try #require(await ProbeEngine(options: Self.options).probe([ProbeTarget(host: "::1", port: 1)], methods: [.icmp]).results.first)
        #expect(result.icmp?.state == .alive)
    }

    @Test func bothMethodsRunSideBySide() async throws {
        let open = try LoopbackListener(kind: .open, host: "127.0.0.1")
        defer { open.close() }
        let targets = [ProbeTarget(host: "127.0.0.1", port: open.address.port), ProbeTarget(host: "127.0.0.2", port: 9)]
        let results = await ProbeEngine(options: Self.options).probe(targets, methods: [.tcp, .icmp]).results
        #expect(results[0].tcp?.state == .open && results[0].icmp?.state == .alive)
        #expect(results[0].primary?.method == .tcp && results[0].state == .open)
        // A refused port with a live host: the state says refused, the RTT is ICMP's.
        #expect(results[1].tcp?.state == .refused && results[1].icmp?.state == .alive)
        #expect(results[1].state == .refused && results[1].primary?.method == .icmp)
    }

    @Test func tenThousandEchoesInOneSweepAllMatch() async throws {
        // Sequence numbers never limit throughput: 10,000 probes, one socket.
        let targets = (0..<10_000).map { ProbeTarget(host: "127.4.\($0 / 250).\($0 % 250 + 1)", port: 1) }
        let report = await ProbeEngine(options: ProbeOptions(rate: 0, timeoutMilliseconds: 2_000, samples: 1)).probe(targets, methods: [.icmp])
        #expect(report.results.count == 10_000)
        let alive = report.results.filter { $0.icmp?.state == .alive }.count
        #expect(alive == 10_000)
    }
}

enum ICMPPermission {
    static let granted: Bool = {
        guard let socket = try? ICMPSocket.open(family: .inet, preference: .auto) else { return false }
        socket.close()
        return true
    }()
}

extension ICMPProbeTests {
    @Test func aTargetWithoutAKnownPortIsOnlyPinged() async throws {
        let target = ProbeTarget(host: "127.0.0.1", port: 443, portKnown: false)
        let both = try #require(await ProbeEngine(options: Self.options).probe([target], methods: [.tcp, .icmp]).results.first)
        #expect(both.tcp == nil && both.icmp?.state == .alive)
        let tcpOnly = try #require(await ProbeEngine(options: Self.options).probe([target], methods: [.tcp]).results.first)
        #expect(tcpOnly.tcp != nil)  // with TCP alone, the default port is knocked on
    }
}
