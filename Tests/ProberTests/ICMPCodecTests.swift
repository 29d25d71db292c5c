import Testing
import TestPacing
@testable import Prober

/// The pure ICMP codec: round trips, errors, checksums, and garbage that must never crash.
@Suite struct ICMPCodecTests {
    static let cookie: UInt64 = 0x0123_4567_89ab_cdef
    static let handle: UInt64 = 0x0000_0007_0000_0002

    /// An echo reply as the peer would send it: our request with the type changed.
    static func reply(to request: [UInt8], v6: Bool) -> [UInt8] {
        var message = request
        message[0] = v6 ? 129 : 0
        message[2] = 0
        message[3] = 0
        if !v6 { ICMPCodec.put16(&message, 2, ICMPCodec.checksum(message[...])) }
        return message
    }

    /// An IPv4 header in front of `body` (raw sockets see it).
    static func ipv4(_ body: [UInt8], proto: UInt8 = 1, source: [UInt8] = [198, 18, 1, 1], destination: [UInt8] = [198, 18, 0, 1]) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 20)
        header[0] = 0x45
        ICMPCodec.put16(&header, 2, UInt16(20 + body.count))
        header[8] = 64
        header[9] = proto
        header.replaceSubrange(12..<16, with: source)
        header.replaceSubrange(16..<20, with: destination)
        ICMPCodec.put16(&header, 10, ICMPCodec.checksum(header[...]))
        return header + body
    }

    @Test(arguments: [false, true])
    func echoRequestRoundTrip(v6: Bool) throws {
        let request = ICMPCodec.echoRequest(v6: v6, identifier: 0xbeef, sequence: 513, cookie: Self.cookie, handle: Self.handle)
        #expect(request.count == 64)
        #expect(request[0] == (v6 ? 128 : 8))
        if !v6 { #expect(ICMPCodec.checksum(request[...]) == 0) }
        let parsed = ICMPCodec.parse(Self.reply(to: request, v6: v6)[...], v6: v6, includesIPHeader: false)
        #expect(parsed == .echoReply(identifier: 0xbeef, sequence: 513, cookie: Self.cookie, handle: Self.handle))
    }

    @Test func rawIPv4RepliesCarryTheirIPHeader() {
        let request = ICMPCodec.echoRequest(v6: false, identifier: 1, sequence: 2, cookie: Self.cookie, handle: Self.handle)
        let packet = Self.ipv4(Self.reply(to: request, v6: false))
        #expect(ICMPCodec.parse(packet[...], v6: false, includesIPHeader: true)
            == .echoReply(identifier: 1, sequence: 2, cookie: Self.cookie, handle: Self.handle))
        #expect(ICMPCodec.parse(packet[...], v6: false, includesIPHeader: false) == nil)  // wrong framing: dropped
    }

    @Test func corruptChecksumIsDropped() {
        var reply = Self.reply(to: ICMPCodec.echoRequest(v6: false, identifier: 1, sequence: 2, cookie: 3, handle: 4), v6: false)
        reply[20] ^= 0xff
        #expect(ICMPCodec.parse(reply[...], v6: false, includesIPHeader: false) == nil)
    }

    @Test(arguments: [(UInt8(0), UInt8(1)), (8, 0), (13, 0), (5, 1)] as [(UInt8, UInt8)])
    func otherTypesAndCodesAreDropped(type: UInt8, code: UInt8) {
        var message = Self.reply(to: ICMPCodec.echoRequest(v6: false, identifier: 1, sequence: 2, cookie: 3, handle: 4), v6: false)
        message[0] = type
        message[1] = code
        message[2] = 0
        message[3] = 0
        ICMPCodec.put16(&message, 2, ICMPCodec.checksum(message[...]))
        #expect(ICMPCodec.parse(message[...], v6: false, includesIPHeader: false) == nil)
    }

    @Test func ipv4UnreachableQuotesOurRequest() {
        let request = ICMPCodec.echoRequest(v6: false, identifier: 9, sequence: 77, cookie: Self.cookie, handle: Self.handle)
        let quoted = Self.ipv4(request, source: [198, 18, 0, 1], destination: [198, 18, 9, 9])
        var error: [UInt8] = [3, 1, 0, 0, 0, 0, 0, 0] + quoted
        ICMPCodec.put16(&error, 2, ICMPCodec.checksum(error[...]))
        let parsed = ICMPCodec.parse(Self.ipv4(error, source: [198, 18, 0, 254])[...], v6: false, includesIPHeader: true)
        #expect(parsed == .error(ICMPCodec.ICMPError(v6: false, type: 3, code: 1), identifier: 9, sequence: 77,
                                 cookie: Self.cookie, handle: Self.handle, originalDestination: [198, 18, 9, 9]))
        #expect(ICMPCodec.ICMPError(v6: false, type: 3, code: 1).name == "host-unreachable (ICMP 3/1)")
    }

    @Test func ipv4ErrorQuotingOnlyEightBytesMatchesBySequence() {
        let request = ICMPCodec.echoRequest(v6: false, identifier: 9, sequence: 77, cookie: Self.cookie, handle: Self.handle)
        let quoted = Self.ipv4(Array(request.prefix(8)), destination: [198, 18, 9, 9])
        var error: [UInt8] = [11, 0, 0, 0, 0, 0, 0, 0] + quoted
        ICMPCodec.put16(&error, 2, ICMPCodec.checksum(error[...]))
        let parsed = ICMPCodec.parse(error[...], v6: false, includesIPHeader: false)
        #expect(parsed == .error(ICMPCodec.ICMPError(v6: false, type: 11, code: 0), identifier: 9, sequence: 77,
                                 cookie: nil, handle: nil, originalDestination: [198, 18, 9, 9]))
    }

    @Test func ipv6UnreachableQuotesOurRequest() {
        let request = ICMPCodec.echoRequest(v6: true, identifier: 5, sequence: 6, cookie: Self.cookie, handle: Self.handle)
        var header = [UInt8](repeating: 0, count: 40)
        header[0] = 0x60
        ICMPCodec.put16(&header, 4, UInt16(request.count))
        header[6] = 58
        header[7] = 64
        let destination: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [9]
        header.replaceSubrange(24..<40, with: destination)
        let error: [UInt8] = [1, 3, 0, 0, 0, 0, 0, 0] + header + request
        #expect(ICMPCodec.parse(error[...], v6: true, includesIPHeader: false)
            == .error(ICMPCodec.ICMPError(v6: true, type: 1, code: 3), identifier: 5, sequence: 6, cookie: Self.cookie,
                      handle: Self.handle, originalDestination: destination))
    }

    @Test func queuedErrorsQuoteTheRequestItself() {
        let request = ICMPCodec.echoRequest(v6: false, identifier: 0, sequence: 3, cookie: Self.cookie, handle: Self.handle)
        let error = ICMPCodec.ICMPError(v6: false, type: 3, code: 0)
        #expect(ICMPCodec.parseQueuedError(request[...], error: error)
            == .error(error, identifier: 0, sequence: 3, cookie: Self.cookie, handle: Self.handle, originalDestination: nil))
        #expect(ICMPCodec.parseQueuedError(request.prefix(7), error: error) == nil)
    }

    @Test(arguments: [false, true])
    func everyTruncationOfAValidPacketIsSafe(v6: Bool) {
        let request = ICMPCodec.echoRequest(v6: v6, identifier: 1, sequence: 2, cookie: Self.cookie, handle: Self.handle)
        let packet = v6 ? Self.reply(to: request, v6: true) : Self.ipv4(Self.reply(to: request, v6: false))
        for length in 0..<packet.count {
            _ = ICMPCodec.parse(packet.prefix(length), v6: v6, includesIPHeader: !v6)
            _ = ICMPCodec.parse(packet.prefix(length), v6: v6, includesIPHeader: false)
        }
        // Oversized: trailing bytes past the IP total length are ignored, not read as data.
        let padded = packet + [UInt8](repeating: 0xAA, count: 4_000)
        #expect(ICMPCodec.parse(padded[...], v6: v6, includesIPHeader: !v6) != nil)
    }

    /// 100,000 packets: on a thread of its own (see OffPool), not on the cooperative pool.
    @Test func fuzzedGarbageNeverCrashesAndNeverMatchesOurCookie() async throws {
        let matches = try await OffPool.run {
            var state: UInt64 = 0x5eed
            func next() -> UInt64 {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return z ^ (z >> 31)
            }
            let valid = Self.ipv4(Self.reply(to: ICMPCodec.echoRequest(v6: false, identifier: 1, sequence: 2, cookie: Self.cookie, handle: Self.handle), v6: false))
            var matches = 0
            for round in 0..<100_000 {
                var packet: [UInt8]
                if round % 2 == 0 {
                    packet = (0..<Int(next() % 200)).map { _ in UInt8(truncatingIfNeeded: next()) }
                    if !packet.isEmpty, round % 4 == 0 { packet[0] = 0x45 }
                } else {
                    packet = valid  // mutate a valid packet in a few places
                    for _ in 0..<Int(1 + next() % 4) { packet[Int(next() % UInt64(packet.count))] = UInt8(truncatingIfNeeded: next()) }
                }
                for v6 in [false, true] {
                    for header in [false, true] {
                        if case .echoReply(_, _, let cookie, _)? = ICMPCodec.parse(packet[...], v6: v6, includesIPHeader: header),
                           cookie == Self.cookie, packet != valid { matches += 1 }
                    }
                }
            }
            return matches
        }
        // A mutated packet can still carry our cookie (mutations elsewhere); random bytes never do.
        #expect(matches < 100_000)
    }
}
