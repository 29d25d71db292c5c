public import Foundation
import Prober

/// One simulated host: how it answers, after what delay, and what it drops.
public struct SimulatedHost: Hashable, Sendable, Codable {
    /// IPv4 (in 198.18.0.0/15) or IPv6 (in 2001:db8::/32) address.
    public var address: String
    /// Round-trip time in milliseconds that every answer takes.
    public var rttMs: Double
    /// Uniform extra delay 0...jitter ms per packet.
    public var jitterMs: Double
    /// Probability that a request (SYN, echo request) is dropped.
    public var loss: Double
    /// Whether it answers ICMP echo.
    public var icmp: Bool
    /// TCP ports that complete the handshake (SYN-ACK).
    public var tcpOpen: [Int]
    /// TCP ports that stay silent. Every other port answers RST.
    public var tcpFiltered: [Int]
    /// Echo requests answered per second at most (0 = unlimited); the rest are dropped, as routers do.
    public var icmpRate: Double
    /// When set, TCP answers come after this many ms instead of `rtt_ms`, as when a transparent
    /// proxy or firewall near the client completes handshakes itself.
    public var tcpRttMs: Double?
    /// Every request gets an ICMP destination unreachable (host unreachable) from the router
    /// 198.18.0.254 (or 2001:db8::fe) instead of an answer, as for a host that is down.
    public var unreachable: Bool

    /// A host.
    public init(
        address: String, rttMs: Double, jitterMs: Double = 0, loss: Double = 0, icmp: Bool = true,
        tcpOpen: [Int] = [443], tcpFiltered: [Int] = [], icmpRate: Double = 0, unreachable: Bool = false, tcpRttMs: Double? = nil
    ) {
        self.unreachable = unreachable
        self.tcpRttMs = tcpRttMs
        self.address = address
        self.rttMs = rttMs
        self.jitterMs = jitterMs
        self.loss = loss
        self.icmp = icmp
        self.tcpOpen = tcpOpen
        self.tcpFiltered = tcpFiltered
        self.icmpRate = icmpRate
    }

    enum CodingKeys: String, CodingKey {
        case address, rttMs = "rtt_ms", jitterMs = "jitter_ms", loss, icmp, tcpOpen = "tcp_open"
        case tcpFiltered = "tcp_filtered", icmpRate = "icmp_rate", unreachable, tcpRttMs = "tcp_rtt_ms"
    }

    /// `address` and `rtt_ms` are required; everything else has a default; unknown keys are ignored.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        address = try container.decode(String.self, forKey: .address)
        rttMs = try container.decode(Double.self, forKey: .rttMs)
        jitterMs = try container.decodeIfPresent(Double.self, forKey: .jitterMs) ?? 0
        loss = try container.decodeIfPresent(Double.self, forKey: .loss) ?? 0
        icmp = try container.decodeIfPresent(Bool.self, forKey: .icmp) ?? true
        tcpOpen = try container.decodeIfPresent([Int].self, forKey: .tcpOpen) ?? []
        tcpFiltered = try container.decodeIfPresent([Int].self, forKey: .tcpFiltered) ?? []
        icmpRate = try container.decodeIfPresent(Double.self, forKey: .icmpRate) ?? 0
        unreachable = try container.decodeIfPresent(Bool.self, forKey: .unreachable) ?? false
        tcpRttMs = try container.decodeIfPresent(Double.self, forKey: .tcpRttMs)
    }
}

/// A host name the simulated network's name server (``World/dnsIPv4``) knows.
public struct SimulatedName: Hashable, Sendable, Codable {
    /// The name (case-insensitive, without a trailing dot).
    public var name: String
    /// Its addresses (IPv4 answer A queries, IPv6 answer AAAA queries), in order.
    public var addresses: [String]
    /// How long the server takes to answer, in milliseconds (default 1).
    public var delayMs: Double
    /// Answer NXDOMAIN (no such name).
    public var nxdomain: Bool
    /// Never answer (the lookup times out).
    public var timeout: Bool
    /// The TTL of the answers, in seconds (default 300).
    public var ttl: UInt32

    /// A name.
    public init(name: String, addresses: [String], delayMs: Double = 1, nxdomain: Bool = false, timeout: Bool = false, ttl: UInt32 = 300) {
        self.name = name
        self.addresses = addresses
        self.delayMs = delayMs
        self.nxdomain = nxdomain
        self.timeout = timeout
        self.ttl = ttl
    }

    enum CodingKeys: String, CodingKey {
        case name, addresses, delayMs = "delay_ms", nxdomain, timeout, ttl
    }

    /// `name` is required; everything else has a default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        addresses = try container.decodeIfPresent([String].self, forKey: .addresses) ?? []
        delayMs = try container.decodeIfPresent(Double.self, forKey: .delayMs) ?? 1
        nxdomain = try container.decodeIfPresent(Bool.self, forKey: .nxdomain) ?? false
        timeout = try container.decodeIfPresent(Bool.self, forKey: .timeout) ?? false
        ttl = try container.decodeIfPresent(UInt32.self, forKey: .ttl) ?? 300
    }
}

/// The simulated network: every host in it.
public struct World: Hashable, Sendable, Codable {
    /// The hosts.
    public var hosts: [SimulatedHost]
    /// The local link's capacity in requests per second (`link_pps`, 0 = unlimited): requests beyond
    /// it are dropped, as by a saturated uplink or NAT table; its queue holds `link_burst` requests.
    public var linkPps: Double
    /// Requests the link absorbs at once before dropping (default: a hundredth of a second's worth, at least 1).
    public var linkBurst: Double?
    /// Names the world's name server answers (at ``dnsIPv4``, port 53); any other name is NXDOMAIN.
    public var names: [SimulatedName]

    /// A world of these hosts.
    public init(hosts: [SimulatedHost], linkPps: Double = 0, linkBurst: Double? = nil, names: [SimulatedName] = []) {
        self.names = names
        self.hosts = hosts
        self.linkPps = linkPps
        self.linkBurst = linkBurst
    }

    enum CodingKeys: String, CodingKey {
        case hosts, linkPps = "link_pps", linkBurst = "link_burst", names
    }

    /// Reads a world; `link_pps` and `link_burst` are optional.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        hosts = try container.decode([SimulatedHost].self, forKey: .hosts)
        linkPps = try container.decodeIfPresent(Double.self, forKey: .linkPps) ?? 0
        linkBurst = try container.decodeIfPresent(Double.self, forKey: .linkBurst)
        names = try container.decodeIfPresent([SimulatedName].self, forKey: .names) ?? []
    }

    /// Writes `link_pps` only when the link is limited.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(hosts, forKey: .hosts)
        if linkPps > 0 { try container.encode(linkPps, forKey: .linkPps) }
        try container.encodeIfPresent(linkBurst, forKey: .linkBurst)
        if !names.isEmpty { try container.encode(names, forKey: .names) }
    }

    /// The local addresses netsim gives the machine inside the namespace.
    public static let localIPv4 = "198.18.0.1"
    /// The local IPv6 address.
    public static let localIPv6 = "2001:db8::1"
    /// The world's name server (UDP port 53); inside the namespace `/etc/resolv.conf` names it.
    public static let dnsIPv4 = "198.18.0.53"
    /// The router that reports unreachable hosts (IPv4).
    public static let routerIPv4 = "198.18.0.254"
    /// The router that reports unreachable hosts (IPv6).
    public static let routerIPv6 = "2001:db8::fe"

    /// Reads and checks a world file; every error is one line naming the file and the host.
    public static func load(path: String) throws(WorldError) -> World {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw WorldError("\(path): cannot read: \((error as NSError).localizedDescription)")
        }
        return try decode(data, source: path)
    }

    /// Decodes and checks a world from JSON.
    public static func decode(_ data: Data, source: String = "world") throws(WorldError) -> World {
        let world: World
        do {
            world = try JSONDecoder().decode(World.self, from: data)
        } catch let error as DecodingError {
            throw WorldError("\(source): \(Self.describe(error, data: data))")
        } catch {
            throw WorldError("\(source): not valid JSON")
        }
        try world.validate(source: source)
        return world
    }

    /// Checks every value; the error names the host (index and address) and the field.
    public func validate(source: String = "world") throws(WorldError) {
        guard linkPps.isFinite, linkPps >= 0 else { throw WorldError("\(source): link_pps must be 0 (unlimited) or more, got \(linkPps)") }
        if let linkBurst, !(linkBurst.isFinite && linkBurst >= 1) {
            throw WorldError("\(source): link_burst must be 1 or more, got \(linkBurst)")
        }
        try validateNames(source: source)
        var seen = Set<AddressKey>()
        for (index, host) in hosts.enumerated() {
            let name = "\(source): host \(index) (\(host.address))"
            guard let key = AddressKey(host.address) else {
                throw WorldError("\(name): address is not an IPv4 or IPv6 address")
            }
            guard key.isInSimulatedRange else {
                throw WorldError("\(name): address must be in 198.18.0.0/15 or 2001:db8::/32")
            }
            guard key != AddressKey(Self.localIPv4), key != AddressKey(Self.localIPv6) else {
                throw WorldError("\(name): address is netsim's own local address")
            }
            guard key != AddressKey(Self.dnsIPv4) else { throw WorldError("\(name): address is netsim's name server") }
            guard seen.insert(key).inserted else { throw WorldError("\(name): address appears twice") }
            if let tcp = host.tcpRttMs, !(tcp.isFinite && tcp >= 0 && tcp <= 60_000) {
                throw WorldError("\(name): tcp_rtt_ms must be between 0 and 60000, got \(tcp)")
            }
            guard host.rttMs.isFinite, host.rttMs >= 0, host.rttMs <= 60_000 else {
                throw WorldError("\(name): rtt_ms must be between 0 and 60000, got \(host.rttMs)")
            }
            guard host.jitterMs.isFinite, host.jitterMs >= 0, host.jitterMs <= 60_000 else {
                throw WorldError("\(name): jitter_ms must be between 0 and 60000, got \(host.jitterMs)")
            }
            guard host.loss.isFinite, host.loss >= 0, host.loss <= 1 else {
                throw WorldError("\(name): loss must be between 0 and 1, got \(host.loss)")
            }
            guard host.icmpRate.isFinite, host.icmpRate >= 0 else {
                throw WorldError("\(name): icmp_rate must be 0 (unlimited) or more, got \(host.icmpRate)")
            }
            for port in host.tcpOpen + host.tcpFiltered where !(1...65_535).contains(port) {
                throw WorldError("\(name): port \(port) is not between 1 and 65535")
            }
            if let both = Set(host.tcpOpen).intersection(host.tcpFiltered).first {
                throw WorldError("\(name): port \(both) is both open and filtered")
            }
        }
    }

    /// Checks the names: each a name DNS can carry, once, with addresses in the simulated ranges.
    func validateNames(source: String) throws(WorldError) {
        var seen = Set<String>()
        for (index, entry) in names.enumerated() {
            let label = "\(source): name \(index) (\(entry.name))"
            guard DNSMessage.labels(of: entry.name) != nil else { throw WorldError("\(label): not a host name DNS can carry") }
            guard seen.insert(entry.name.lowercased()).inserted else { throw WorldError("\(label): name appears twice") }
            guard entry.delayMs.isFinite, entry.delayMs >= 0, entry.delayMs <= 60_000 else {
                throw WorldError("\(label): delay_ms must be between 0 and 60000, got \(entry.delayMs)")
            }
            for address in entry.addresses {
                guard let key = AddressKey(address), key.isInSimulatedRange else {
                    throw WorldError("\(label): address \(address) is not in 198.18.0.0/15 or 2001:db8::/32")
                }
            }
        }
    }

    private static func describe(_ error: DecodingError, data: Data) -> String {
        func place(_ path: [any CodingKey]) -> String {
            var text = ""
            for key in path {
                if let index = key.intValue { text += "[\(index)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
            }
            if path.count >= 2, path[0].stringValue == "hosts", let index = path[1].intValue {
                let hosts = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["hosts"] as? [[String: Any]]
                if let hosts, index < hosts.count, let address = hosts[index]["address"] as? String {
                    let field = path.dropFirst(2).map(\.stringValue).joined(separator: ".")
                    return "host \(index) (\(address)): \(field)"
                }
            }
            return text
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(place(context.codingPath)): expected \(type == Double.self ? "a number" : "\(type)")"
        case .valueNotFound(_, let context):
            return "\(place(context.codingPath)): missing value"
        case .keyNotFound(let key, let context):
            let at = place(context.codingPath)
            return at.isEmpty ? "missing key '\(key.stringValue)'" : "\(at): missing key '\(key.stringValue)'"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "\(place(context.codingPath)): bad value"
        @unknown default:
            return "not a valid world"
        }
    }
}

/// A world file that cannot be used, with a one-line reason.
public struct WorldError: Error, CustomStringConvertible, Sendable {
    /// The reason, naming the file and the host.
    public var description: String
    init(_ description: String) { self.description = description }
}
