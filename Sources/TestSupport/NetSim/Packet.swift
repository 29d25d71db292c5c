import Prober

/// Parsing and building the IPv4/IPv6, ICMP and TCP packets netsim answers. Pure: bytes in, bytes out.
enum Packet {
    /// IP protocol numbers.
    static let tcp: UInt8 = 6
    static let icmp: UInt8 = 1
    static let icmpv6: UInt8 = 58
    static let udp: UInt8 = 17

    /// The UDP header fields netsim looks at.
    struct UDP {
        var sourcePort: UInt16
        var destinationPort: UInt16
        var payload: ArraySlice<UInt8>
    }

    /// Parses a UDP datagram; `nil` when truncated or its length field lies.
    static func parseUDP(_ datagram: ArraySlice<UInt8>) -> UDP? {
        guard datagram.count >= 8 else { return nil }
        let base = datagram.startIndex
        let length = Int(datagram[base + 4]) << 8 | Int(datagram[base + 5])
        guard length >= 8, length <= datagram.count else { return nil }
        return UDP(sourcePort: UInt16(datagram[base]) << 8 | UInt16(datagram[base + 1]),
                   destinationPort: UInt16(datagram[base + 2]) << 8 | UInt16(datagram[base + 3]),
                   payload: datagram[(base + 8)..<(base + length)])
    }

    /// A UDP answer to `request` (ports swapped) carrying `payload`.
    static func udpReply(to request: IP, _ udp: UDP, payload: [UInt8]) -> [UInt8] {
        var datagram = [UInt8](repeating: 0, count: 8)
        put16(&datagram, 0, udp.destinationPort)
        put16(&datagram, 2, udp.sourcePort)
        put16(&datagram, 4, UInt16(truncatingIfNeeded: 8 + payload.count))
        datagram += payload
        return ipPacket(from: request.destination, to: request.source, isV6: request.isV6, proto: Self.udp, body: datagram)
    }

    /// The parts of an IP packet netsim needs.
    struct IP {
        var isV6: Bool
        var proto: UInt8
        var source: ArraySlice<UInt8>
        var destination: ArraySlice<UInt8>
        /// The transport payload (TCP segment or ICMP message).
        var payload: ArraySlice<UInt8>
    }

    /// Parses an IPv4 or IPv6 packet; `nil` for anything truncated, fragmented or otherwise unusable.
    static func parse(_ bytes: [UInt8]) -> IP? {
        guard let first = bytes.first else { return nil }
        switch first >> 4 {
        case 4:
            guard bytes.count >= 20 else { return nil }
            let headerLength = Int(first & 0x0f) * 4
            let total = Int(bytes[2]) << 8 | Int(bytes[3])
            guard headerLength >= 20, total >= headerLength, total <= bytes.count else { return nil }
            let fragment = (Int(bytes[6]) << 8 | Int(bytes[7])) & 0x3fff  // MF flag and offset
            guard fragment == 0 else { return nil }
            return IP(isV6: false, proto: bytes[9], source: bytes[12..<16], destination: bytes[16..<20],
                      payload: bytes[headerLength..<total])
        case 6:
            guard bytes.count >= 40 else { return nil }
            let payloadLength = Int(bytes[4]) << 8 | Int(bytes[5])
            guard 40 + payloadLength <= bytes.count else { return nil }
            return IP(isV6: true, proto: bytes[6], source: bytes[8..<24], destination: bytes[24..<40],
                      payload: bytes[40..<(40 + payloadLength)])
        default:
            return nil
        }
    }

    /// The TCP header fields netsim looks at.
    struct TCP {
        var sourcePort: UInt16
        var destinationPort: UInt16
        var sequence: UInt32
        var acknowledgment: UInt32
        var flags: UInt8
        var payloadLength: Int

        static let fin: UInt8 = 0x01, syn: UInt8 = 0x02, rst: UInt8 = 0x04, ack: UInt8 = 0x10
    }

    /// Parses a TCP header; `nil` when truncated.
    static func parseTCP(_ segment: ArraySlice<UInt8>) -> TCP? {
        guard segment.count >= 20 else { return nil }
        let base = segment.startIndex
        let offset = Int(segment[base + 12] >> 4) * 4
        guard offset >= 20, offset <= segment.count else { return nil }
        return TCP(
            sourcePort: UInt16(segment[base]) << 8 | UInt16(segment[base + 1]),
            destinationPort: UInt16(segment[base + 2]) << 8 | UInt16(segment[base + 3]),
            sequence: readUInt32(segment, at: base + 4), acknowledgment: readUInt32(segment, at: base + 8),
            flags: segment[base + 13], payloadLength: segment.count - offset)
    }

    static func readUInt32(_ bytes: ArraySlice<UInt8>, at index: Int) -> UInt32 {
        UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16 | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3])
    }

    // MARK: - Building

    /// A TCP segment from `request`'s destination back to its source.
    static func tcpReply(
        to request: IP, _ tcp: TCP, flags: UInt8, sequence: UInt32, acknowledgment: UInt32, window: UInt16, mss: UInt16?
    ) -> [UInt8] {
        var segment = [UInt8](repeating: 0, count: mss == nil ? 20 : 24)
        put16(&segment, 0, tcp.destinationPort)
        put16(&segment, 2, tcp.sourcePort)
        put32(&segment, 4, sequence)
        put32(&segment, 8, acknowledgment)
        segment[12] = UInt8(segment.count / 4) << 4
        segment[13] = flags
        put16(&segment, 14, window)
        if let mss {
            segment[20] = 2
            segment[21] = 4
            put16(&segment, 22, mss)
        }
        return ipPacket(from: request.destination, to: request.source, isV6: request.isV6, proto: tcp_, body: segment)
    }

    private static let tcp_ = tcp

    /// An echo reply to an ICMP or ICMPv6 echo request `message` (identifier, sequence and data kept).
    static func echoReply(to request: IP) -> [UInt8] {
        var message = Array(request.payload)
        message[0] = request.isV6 ? 129 : 0
        message[1] = 0
        message[2] = 0
        message[3] = 0
        return ipPacket(from: request.destination, to: request.source, isV6: request.isV6,
                        proto: request.isV6 ? icmpv6 : icmp, body: message)
    }

    /// An ICMP destination unreachable (IPv4 type 3 code 1, host unreachable; IPv6 type 1 code 3,
    /// address unreachable) about `request`, from `router`, quoting as much of it as fits.
    static func hostUnreachable(about request: [UInt8], parsed: IP, from router: [UInt8]) -> [UInt8] {
        let quoted = request.prefix(parsed.isV6 ? 1_232 : 520)
        let message = (parsed.isV6 ? [1, 3] : [3, 1]) + [UInt8](repeating: 0, count: 6) + quoted
        return ipPacket(from: router[...], to: parsed.source, isV6: parsed.isV6, proto: parsed.isV6 ? icmpv6 : icmp, body: Array(message))
    }

    /// Wraps `body` in an IPv4 or IPv6 header and fills in every checksum.
    static func ipPacket(from source: ArraySlice<UInt8>, to destination: ArraySlice<UInt8>, isV6: Bool, proto: UInt8, body: [UInt8]) -> [UInt8] {
        var body = body
        // Transport checksum: TCP and ICMPv6 cover a pseudo-header, ICMPv4 only the message.
        let checksumOffset = proto == tcp ? 16 : (proto == udp ? 6 : 2)
        var sum: UInt32 = 0
        if proto != icmp {
            sum = add(source, to: 0)
            sum = add(destination, to: sum)
            sum += UInt32(proto) + UInt32(body.count & 0xffff) + UInt32(body.count >> 16)
        }
        sum = add(body[...], to: sum)
        let checksum = fold(sum)
        put16(&body, checksumOffset, proto == udp && checksum == 0 ? 0xFFFF : checksum)  // UDP: 0 means "none"

        var packet: [UInt8]
        if isV6 {
            packet = [UInt8](repeating: 0, count: 40)
            packet[0] = 0x60
            put16(&packet, 4, UInt16(body.count))
            packet[6] = proto
            packet[7] = 64
            packet.replaceSubrange(8..<24, with: source)
            packet.replaceSubrange(24..<40, with: destination)
        } else {
            packet = [UInt8](repeating: 0, count: 20)
            packet[0] = 0x45
            put16(&packet, 2, UInt16(20 + body.count))
            packet[6] = 0x40  // don't fragment
            packet[8] = 64
            packet[9] = proto
            packet.replaceSubrange(12..<16, with: source)
            packet.replaceSubrange(16..<20, with: destination)
            put16(&packet, 10, fold(add(packet[...], to: 0)))
        }
        packet.append(contentsOf: body)
        return packet
    }

    /// Adds 16-bit big-endian words of `bytes` to a one's-complement sum (Prober's one implementation).
    static func add(_ bytes: ArraySlice<UInt8>, to initial: UInt32) -> UInt32 { InternetChecksum.add(bytes, to: initial) }

    /// Folds a sum into the 16-bit one's-complement checksum.
    static func fold(_ sum: UInt32) -> UInt16 { InternetChecksum.fold(sum) }

    static func put16(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt16) {
        bytes[offset] = UInt8(value >> 8)
        bytes[offset + 1] = UInt8(value & 0xff)
    }

    static func put32(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt32) {
        bytes[offset] = UInt8(value >> 24)
        bytes[offset + 1] = UInt8((value >> 16) & 0xff)
        bytes[offset + 2] = UInt8((value >> 8) & 0xff)
        bytes[offset + 3] = UInt8(value & 0xff)
    }
}
