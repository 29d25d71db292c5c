#if canImport(Glibc)
import Glibc
#endif
import Prober

/// What every simulated host does with a packet: the pure logic of netsim, no I/O and no clock
/// (time comes in as `now`, randomness from a seeded generator), so tests drive it directly.
public struct Responder {
    /// A packet to send back at `due` (nanoseconds on the caller's monotonic clock).
    public struct Reply: Sendable {
        /// When to send it.
        public var due: UInt64
        /// The whole IP packet.
        public var bytes: [UInt8]
    }

    /// Counters of what came in.
    public struct Counters: Hashable, Sendable, Codable {
        /// Packets read.
        public var received = 0
        /// Requests dropped by a host's `loss`.
        public var droppedByLoss = 0
        /// Echo requests dropped by a host's `icmp_rate`.
        public var droppedByRate = 0
        /// Requests dropped by the link's capacity (`link_pps`).
        public var droppedByLink = 0
        /// Packets for no simulated host, or that needed no answer.
        public var ignored = 0
        /// DNS queries the world's name server received.
        public var dnsQueries = 0
    }

    struct Name {
        var v4: [[UInt8]]
        var v6: [[UInt8]]
        var delayNanoseconds: UInt64
        var nxdomain: Bool
        var timeout: Bool
        var ttl: UInt32
    }

    struct Host {
        var rttNanoseconds: UInt64
        var tcpRttNanoseconds: UInt64?
        var jitterNanoseconds: UInt64
        var loss: Double
        var icmp: Bool
        var open: Set<UInt16>
        var filtered: Set<UInt16>
        var icmpRate: Double
        var unreachable: Bool
        var tokens: Double
        var lastRefill: UInt64
    }

    private var hosts: [AddressKey: Host] = [:]
    private var names: [String: Name] = [:]
    private static let dnsServer = AddressKey(World.dnsIPv4)
    private var random: SplitMix64
    private let linkPps: Double
    private let linkBurst: Double
    private var linkTokens: Double
    private var linkRefill: UInt64 = 0
    private var lastNow: UInt64 = 0
    /// What came in so far.
    public private(set) var counters = Counters()

    /// A responder for `world`; `seed` makes loss and jitter reproducible.
    public init(world: World, seed: UInt64) {
        random = SplitMix64(seed: seed)
        linkPps = world.linkPps
        linkBurst = world.linkBurst ?? max(1, world.linkPps / 100)
        linkTokens = linkBurst
        for entry in world.names {
            var v4: [[UInt8]] = []
            var v6: [[UInt8]] = []
            for address in entry.addresses {
                var four = [UInt8](repeating: 0, count: 4)
                var six = [UInt8](repeating: 0, count: 16)
                if inet_pton(AF_INET, address, &four) == 1 { v4.append(four) } else if inet_pton(AF_INET6, address, &six) == 1 { v6.append(six) }
            }
            names[entry.name.lowercased().hasSuffix(".") ? String(entry.name.lowercased().dropLast()) : entry.name.lowercased()] = Name(
                v4: v4, v6: v6, delayNanoseconds: UInt64(entry.delayMs * 1_000_000), nxdomain: entry.nxdomain, timeout: entry.timeout, ttl: entry.ttl)
        }
        for host in world.hosts {
            guard let key = AddressKey(host.address) else { continue }
            hosts[key] = Host(
                rttNanoseconds: UInt64(host.rttMs * 1_000_000), tcpRttNanoseconds: host.tcpRttMs.map { UInt64($0 * 1_000_000) },
                jitterNanoseconds: UInt64(host.jitterMs * 1_000_000),
                loss: host.loss, icmp: host.icmp, open: Set(host.tcpOpen.compactMap(UInt16.init(exactly:))),
                filtered: Set(host.tcpFiltered.compactMap(UInt16.init(exactly:))), icmpRate: host.icmpRate,
                unreachable: host.unreachable, tokens: Self.burst(host.icmpRate), lastRefill: 0)
        }
    }

    /// Answers as `world` from now on (SIGHUP to netsim); the counters and the random sequence go on.
    public mutating func replaceWorld(_ world: World) {
        var fresh = Responder(world: world, seed: 0)
        fresh.random = random
        fresh.counters = counters
        self = fresh
    }

    /// The answer to `packet` read at `now`, if its host answers at all.
    public mutating func respond(to packet: [UInt8], at now: UInt64) -> Reply? {
        counters.received += 1
        lastNow = now
        guard let ip = Packet.parse(packet) else { return ignore() }
        let key = ip.isV6 ? AddressKey(v6: ip.destination) : AddressKey(v4: ip.destination)
        if key == Self.dnsServer, ip.proto == Packet.udp { return answerDNS(ip) }
        guard var host = hosts[key] else { return ignore() }
        if linkPps > 0 {
            // The link: a bucket of `linkBurst` requests refilled at `linkPps`; beyond it, dropped.
            linkTokens = min(linkBurst, linkTokens + (linkRefill == 0 ? 0 : Double(now &- linkRefill) / 1e9 * linkPps))
            linkRefill = now
            guard linkTokens >= 1 else {
                counters.droppedByLink += 1
                return nil
            }
            linkTokens -= 1
        }
        defer { hosts[key] = host }
        if host.unreachable {
            // A router answers for a host that is down: every request (SYN or echo) gets an ICMP error.
            guard isRequest(ip) else { return ignore() }
            let router = ip.isV6 ? Self.routerV6 : Self.routerV4
            return Reply(due: due(host, now: now), bytes: Packet.hostUnreachable(about: packet, parsed: ip, from: router))
        }
        switch ip.proto {
        case Packet.icmp where !ip.isV6, Packet.icmpv6 where ip.isV6:
            let echoRequest: UInt8 = ip.isV6 ? 128 : 8
            guard ip.payload.count >= 8, ip.payload[ip.payload.startIndex] == echoRequest,
                  ip.payload[ip.payload.startIndex + 1] == 0, host.icmp
            else { return ignore() }
            guard takeToken(&host, now: now) else {
                counters.droppedByRate += 1
                return nil
            }
            guard !lost(host) else { return nil }
            return Reply(due: due(host, now: now), bytes: Packet.echoReply(to: ip))
        case Packet.tcp:
            guard let tcp = Packet.parseTCP(ip.payload) else { return ignore() }
            if tcp.flags & Packet.TCP.rst != 0 { return ignore() }
            if tcp.flags & Packet.TCP.syn != 0, tcp.flags & Packet.TCP.ack == 0 {
                if host.filtered.contains(tcp.destinationPort) { return ignore() }
                guard !lost(host) else { return nil }
                let bytes: [UInt8]
                if host.open.contains(tcp.destinationPort) {
                    bytes = Packet.tcpReply(to: ip, tcp, flags: Packet.TCP.syn | Packet.TCP.ack,
                                            sequence: UInt32(truncatingIfNeeded: random.next()),
                                            acknowledgment: tcp.sequence &+ 1, window: 65_535, mss: 1_460)
                } else {
                    bytes = Packet.tcpReply(to: ip, tcp, flags: Packet.TCP.rst | Packet.TCP.ack, sequence: 0,
                                            acknowledgment: tcp.sequence &+ 1, window: 0, mss: nil)
                }
                var tcpHost = host
                tcpHost.rttNanoseconds = host.tcpRttNanoseconds ?? host.rttNanoseconds
                return Reply(due: due(tcpHost, now: now), bytes: bytes)
            }
            // Data or FIN on a handshake netsim completed: RST, so nothing lingers on either side.
            if host.open.contains(tcp.destinationPort), tcp.flags & Packet.TCP.fin != 0 || tcp.payloadLength > 0 {
                let bytes = Packet.tcpReply(to: ip, tcp, flags: Packet.TCP.rst, sequence: tcp.acknowledgment,
                                            acknowledgment: 0, window: 0, mss: nil)
                return Reply(due: due(host, now: now), bytes: bytes)
            }
            return ignore()
        default:
            return ignore()
        }
    }

    /// The world's name server: a query to port 53 is answered after its name's delay (NXDOMAIN
    /// for a name the world does not list, nothing at all for a name marked `timeout`).
    private mutating func answerDNS(_ ip: Packet.IP) -> Reply? {
        guard let udp = Packet.parseUDP(ip.payload), udp.destinationPort == 53, let question = DNSMessage.parseQuery(Array(udp.payload)) else {
            return ignore()
        }
        counters.dnsQueries += 1
        let now = lastNow
        let entry = names[question.name]
        if entry?.timeout == true { return nil }
        let addresses: [[UInt8]]
        switch question.type {
        case DNSMessage.RecordType.a.rawValue: addresses = entry?.v4 ?? []
        case DNSMessage.RecordType.aaaa.rawValue: addresses = entry?.v6 ?? []
        default: addresses = []
        }
        let rcode: DNSMessage.ResponseCode = entry == nil || entry?.nxdomain == true ? .nameError : .noError
        let answer = DNSMessage.answer(to: question, rcode: rcode, addresses: rcode == .noError ? addresses : [], ttl: entry?.ttl ?? 0)
        let bytes = Packet.udpReply(to: ip, udp, payload: answer)
        return Reply(due: now + (entry?.delayNanoseconds ?? 1_000_000), bytes: bytes)
    }

    static let routerV4: [UInt8] = [198, 18, 0, 254]
    static let routerV6: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [0xfe]

    /// A SYN (without ACK) or an echo request: what a host would answer.
    private func isRequest(_ ip: Packet.IP) -> Bool {
        switch ip.proto {
        case Packet.tcp:
            guard let tcp = Packet.parseTCP(ip.payload) else { return false }
            return tcp.flags & Packet.TCP.syn != 0 && tcp.flags & Packet.TCP.ack == 0
        case Packet.icmp, Packet.icmpv6:
            return ip.payload.first == (ip.isV6 ? 128 : 8)
        default:
            return false
        }
    }

    private mutating func ignore() -> Reply? {
        counters.ignored += 1
        return nil
    }

    private mutating func lost(_ host: Host) -> Bool {
        guard host.loss > 0 else { return false }
        if host.loss >= 1 || random.nextDouble() < host.loss {
            counters.droppedByLoss += 1
            return true
        }
        return false
    }

    private mutating func due(_ host: Host, now: UInt64) -> UInt64 {
        var delay = host.rttNanoseconds
        if host.jitterNanoseconds > 0 { delay += UInt64(random.nextDouble() * Double(host.jitterNanoseconds)) }
        return now + delay
    }

    /// The echo rate limit's bucket: a tenth of a second's worth, at least one.
    static func burst(_ rate: Double) -> Double { rate > 0 ? max(1, rate / 10) : 0 }

    private func takeToken(_ host: inout Host, now: UInt64) -> Bool {
        guard host.icmpRate > 0 else { return true }
        let elapsed = Double(now &- host.lastRefill) / 1e9
        host.tokens = min(Self.burst(host.icmpRate), host.tokens + (host.lastRefill == 0 ? 0 : elapsed * host.icmpRate))
        host.lastRefill = now
        guard host.tokens >= 1 else { return false }
        host.tokens -= 1
        return true
    }
}

/// A small, fast, seedable generator (SplitMix64).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    /// A generator from `seed`.
    public init(seed: UInt64) { state = seed }
    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A uniform double in 0..<1.
    public mutating func nextDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
