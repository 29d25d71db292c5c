import Foundation
import Testing
@testable import NetSim

/// The simulated hosts' logic, driven with hand-built packets and an injected clock.
@Suite struct ResponderTests {
    static let client4: [UInt8] = [198, 18, 0, 1]
    static let client6: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]

    static func bytes(_ address: String) -> [UInt8] {
        if address.contains(":") {
            var v6 = in6_addr()
            inet_pton(AF_INET6, address, &v6)
            return withUnsafeBytes(of: v6) { Array($0) }
        }
        var v4 = in_addr()
        inet_pton(AF_INET, address, &v4)
        return withUnsafeBytes(of: v4) { Array($0) }
    }

    /// A SYN (or other flags) from the local address to `host:port`.
    static func tcp(to host: String, port: UInt16, flags: UInt8 = 0x02, sequence: UInt32 = 1_000, payload: Int = 0) -> [UInt8] {
        let destination = bytes(host)
        let source = destination.count == 16 ? client6 : client4
        var segment = [UInt8](repeating: 0, count: 20 + payload)
        Packet.put16(&segment, 0, 40_000)
        Packet.put16(&segment, 2, port)
        Packet.put32(&segment, 4, sequence)
        segment[12] = 5 << 4
        segment[13] = flags
        Packet.put16(&segment, 14, 64_240)
        return Packet.ipPacket(from: source[...], to: destination[...], isV6: destination.count == 16, proto: Packet.tcp, body: segment)
    }

    /// An echo request from the local address to `host`.
    static func echo(to host: String, identifier: UInt16 = 0x1234, sequence: UInt16 = 7, data: [UInt8] = Array("probe".utf8)) -> [UInt8] {
        let destination = bytes(host)
        let isV6 = destination.count == 16
        var message: [UInt8] = [isV6 ? 128 : 8, 0, 0, 0, 0, 0, 0, 0] + data
        Packet.put16(&message, 4, identifier)
        Packet.put16(&message, 6, sequence)
        return Packet.ipPacket(from: (isV6 ? client6 : client4)[...], to: destination[...], isV6: isV6,
                               proto: isV6 ? Packet.icmpv6 : Packet.icmp, body: message)
    }

    static let world = World(hosts: [
        SimulatedHost(address: "198.18.1.1", rttMs: 20, tcpOpen: [443], tcpFiltered: [8443]),
        SimulatedHost(address: "2001:db8::7", rttMs: 7, tcpOpen: [443]),
        SimulatedHost(address: "198.18.1.2", rttMs: 5, loss: 0.5),
        SimulatedHost(address: "198.18.1.3", rttMs: 1, jitterMs: 10),
        SimulatedHost(address: "198.18.1.4", rttMs: 1, icmp: false),
        SimulatedHost(address: "198.18.1.5", rttMs: 1, icmpRate: 10),
    ])

    /// Checks every checksum of a reply the way the kernel will.
    static func checksumsAreValid(_ packet: [UInt8]) throws -> Bool {
        let ip = try #require(Packet.parse(packet))
        if !ip.isV6, Packet.fold(Packet.add(packet[0..<20], to: 0)) != 0 { return false }
        var sum: UInt32 = 0
        if ip.proto != Packet.icmp {
            sum = Packet.add(ip.source, to: Packet.add(ip.destination, to: 0))
            sum += UInt32(ip.proto) + UInt32(ip.payload.count)
        }
        return Packet.fold(Packet.add(ip.payload, to: sum)) == 0
    }

    @Test(arguments: ["198.18.1.1", "2001:db8::7"])
    func openPortAnswersSynAckAfterTheRTT(host: String) throws {
        var responder = Responder(world: Self.world, seed: 1)
        let now: UInt64 = 5_000_000_000
        let replyAnswer = responder.respond(to: Self.tcp(to: host, port: 443), at: now)
        let reply = try #require(replyAnswer)
        #expect(reply.due == now + (host == "198.18.1.1" ? 20_000_000 : 7_000_000))
        let ip = try #require(Packet.parse(reply.bytes))
        #expect(Array(ip.destination) == (host.contains(":") ? Self.client6 : Self.client4))
        #expect(Array(ip.source) == Self.bytes(host))
        let tcp = try #require(Packet.parseTCP(ip.payload))
        #expect(tcp.flags == Packet.TCP.syn | Packet.TCP.ack)
        #expect(tcp.acknowledgment == 1_001)
        #expect(tcp.sourcePort == 443 && tcp.destinationPort == 40_000)
        #expect(try Self.checksumsAreValid(reply.bytes))
    }

    @Test func closedPortAnswersRstAndFilteredPortIsSilent() throws {
        var responder = Responder(world: Self.world, seed: 1)
        let rstAnswer = responder.respond(to: Self.tcp(to: "198.18.1.1", port: 80), at: 0)
        let rst = try #require(rstAnswer)
        let rstIP = try #require(Packet.parse(rst.bytes))
        let tcp = try #require(Packet.parseTCP(rstIP.payload))
        #expect(tcp.flags == Packet.TCP.rst | Packet.TCP.ack)
        #expect(try Self.checksumsAreValid(rst.bytes))
        let filtered = responder.respond(to: Self.tcp(to: "198.18.1.1", port: 8443), at: 0)
        let unknown = responder.respond(to: Self.tcp(to: "198.18.77.77", port: 443), at: 0)  // not in the world
        #expect(filtered == nil && unknown == nil)
    }

    @Test func finOrDataAfterTheHandshakeGetsRstAndBareAcksNothing() throws {
        var responder = Responder(world: Self.world, seed: 1)
        let bareAck = responder.respond(to: Self.tcp(to: "198.18.1.1", port: 443, flags: 0x10), at: 0)
        let rstIn = responder.respond(to: Self.tcp(to: "198.18.1.1", port: 443, flags: 0x04), at: 0)
        #expect(bareAck == nil && rstIn == nil)
        let finAnswer = responder.respond(to: Self.tcp(to: "198.18.1.1", port: 443, flags: 0x11), at: 0)
        let fin = try #require(finAnswer)
        let finIP = try #require(Packet.parse(fin.bytes))
        #expect(Packet.parseTCP(finIP.payload)?.flags == Packet.TCP.rst)
        let data = responder.respond(to: Self.tcp(to: "198.18.1.1", port: 443, flags: 0x18, payload: 10), at: 0)
        #expect(data != nil)
    }

    @Test(arguments: ["198.18.1.1", "2001:db8::7"])
    func echoReplyKeepsIdentifierSequenceAndData(host: String) throws {
        var responder = Responder(world: Self.world, seed: 1)
        let replyAnswer = responder.respond(to: Self.echo(to: host), at: 0)
        let reply = try #require(replyAnswer)
        let ip = try #require(Packet.parse(reply.bytes))
        let message = Array(ip.payload)
        #expect(message[0] == (host.contains(":") ? 129 : 0))
        #expect(message[4...7] == [0x12, 0x34, 0, 7])
        #expect(Array(message[8...]) == Array("probe".utf8))
        #expect(try Self.checksumsAreValid(reply.bytes))
    }

    @Test(arguments: ["198.18.1.9", "2001:db8::9"])
    func unreachableHostGetsARouterError(host: String) throws {
        var responder = Responder(world: World(hosts: [SimulatedHost(address: host, rttMs: 2, unreachable: true)]), seed: 1)
        let request = Self.echo(to: host)
        let answer = responder.respond(to: request, at: 0)
        let reply = try #require(answer)
        let ip = try #require(Packet.parse(reply.bytes))
        #expect(Array(ip.source) == Self.bytes(host.contains(":") ? World.routerIPv6 : World.routerIPv4))
        #expect(Array(ip.payload.prefix(2)) == (host.contains(":") ? [1, 3] : [3, 1]))
        #expect(Array(ip.payload.dropFirst(8)) == request)  // the whole request quoted
        #expect(try Self.checksumsAreValid(reply.bytes))
        let bareAck = responder.respond(to: Self.tcp(to: host, port: 443, flags: 0x10), at: 0)
        #expect(bareAck == nil)  // only requests get errors
    }

    @Test func icmpSilentHostIgnoresPingButAnswersTCP() {
        var responder = Responder(world: Self.world, seed: 1)
        let ping = responder.respond(to: Self.echo(to: "198.18.1.4"), at: 0)
        let syn = responder.respond(to: Self.tcp(to: "198.18.1.4", port: 22), at: 0)
        #expect(ping == nil && syn != nil)
    }

    @Test func lossDropsAboutTheConfiguredShare() {
        var responder = Responder(world: Self.world, seed: 42)
        var answered = 0
        for index in 0..<2_000 where responder.respond(to: Self.echo(to: "198.18.1.2", sequence: UInt16(index)), at: 0) != nil {
            answered += 1
        }
        #expect((900...1_100).contains(answered))
        #expect(responder.counters.droppedByLoss == 2_000 - answered)
    }

    @Test func jitterStaysWithinItsBound() throws {
        var responder = Responder(world: Self.world, seed: 3)
        var delays: [UInt64] = []
        for _ in 0..<500 {
            let reply = responder.respond(to: Self.echo(to: "198.18.1.3"), at: 0)
            delays.append(try #require(reply).due)
        }
        #expect(delays.allSatisfy { $0 >= 1_000_000 && $0 <= 11_000_000 })
        #expect(Set(delays).count > 400)
    }

    @Test func echoRateLimitDropsTheExcess() {
        // 10 per second: a burst of one, then one per 100 ms.
        var responder = Responder(world: Self.world, seed: 1)
        var answered = 0
        for millisecond in 0..<1_000 where responder.respond(to: Self.echo(to: "198.18.1.5"), at: 1_000_000_000 + UInt64(millisecond) * 1_000_000) != nil {
            answered += 1
        }
        #expect((9...11).contains(answered))
        #expect(responder.counters.droppedByRate == 1_000 - answered)
    }

    @Test(arguments: [
        [UInt8](), [0x45], [0x45] + [UInt8](repeating: 0, count: 10), [0x60] + [UInt8](repeating: 0xff, count: 39),
        [0x45, 0, 0xff, 0xff] + [UInt8](repeating: 0, count: 40), [0x4f] + [UInt8](repeating: 0, count: 30),
    ])
    func garbageIsIgnoredWithoutACrash(packet: [UInt8]) {
        var responder = Responder(world: Self.world, seed: 1)
        let reply = responder.respond(to: packet, at: 0)
        #expect(reply == nil)
    }

    @Test func randomBytesNeverCrash() {
        var generator = SplitMix64(seed: 9)
        var responder = Responder(world: Self.world, seed: 1)
        for _ in 0..<20_000 {
            var packet = (0..<Int(generator.next() % 80)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if !packet.isEmpty { packet[0] = [0x45, 0x46, 0x60][Int(generator.next() % 3)] }
            _ = responder.respond(to: packet, at: 0)
        }
    }
}

extension Responder.Reply: Equatable {
    public static func == (lhs: Responder.Reply, rhs: Responder.Reply) -> Bool { lhs.due == rhs.due && lhs.bytes == rhs.bytes }
}
