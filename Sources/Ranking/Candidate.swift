/// One server's measured figures, as Ranking sees them. Ranking knows nothing of sockets or providers.
package struct Candidate: Hashable, Sendable, Codable {
    /// Whether, and how, the server answered.
    package enum Status: String, Hashable, Sendable, Codable, Comparable {
        /// It answered and the service is there (TCP port open, or ICMP where no port answered).
        case up
        /// The host answered but refused the port (TCP RST).
        case closed
        /// No answer at all (timeouts, unreachable, unresolved, errors).
        case down

        var tier: Int {
            switch self {
            case .up: 0
            case .closed: 1
            case .down: 2
            }
        }

        /// Better first: up, closed, down.
        package static func < (lhs: Status, rhs: Status) -> Bool { lhs.tier < rhs.tier }
    }

    /// A stable identity used for deterministic tie-breaks (for example `address:port`).
    package var id: String
    /// How the server answered.
    package var status: Status
    /// Median RTT in milliseconds, `nil` without an answer.
    package var medianMilliseconds: Double?
    /// 90th-percentile RTT in milliseconds.
    package var p90Milliseconds: Double?
    /// Mean absolute difference of consecutive RTT samples, in milliseconds.
    package var jitterMilliseconds: Double?
    /// Share of probes lost, 0...1.
    package var loss: Double
    /// The provider, when the server came from one.
    package var provider: String?
    /// Country (name or ISO code).
    package var country: String?
    /// Protocol (`wireguard`, `openvpn`, `vmess`, ...).
    package var `protocol`: String?
    /// Free WireGuard slots.
    package var wgAvailableSlots: Int?
    /// All WireGuard slots.
    package var wgSlots: Int?
    /// Load as the provider reports it: a count (``LoadKind/count``), a fraction or a percentage.
    package var load: Double?
    /// What ``load`` is; `nil` is a count.
    package var loadKind: LoadKind?
    /// Names it can be excluded by (`--exclude`): target text, host, server name, id.
    package var names: [String]

    /// What a provider's load figure means.
    package enum LoadKind: String, Hashable, Sendable, Codable {
        /// A count with no capacity (active connections): judged within its provider.
        case count
        /// A utilisation, 0...1 (a value above 1 in a provider's list makes them all percentages).
        case utilisation
        /// A utilisation in percent, 0...100.
        case percent
    }

    /// A candidate.
    package init(
        id: String, status: Status, medianMilliseconds: Double?, p90Milliseconds: Double? = nil,
        jitterMilliseconds: Double? = nil, loss: Double, provider: String? = nil, country: String? = nil,
        protocol: String? = nil, wgAvailableSlots: Int? = nil, wgSlots: Int? = nil, load: Double? = nil,
        loadKind: LoadKind? = nil, names: [String] = []
    ) {
        self.id = id
        self.status = status
        self.medianMilliseconds = medianMilliseconds
        self.p90Milliseconds = p90Milliseconds
        self.jitterMilliseconds = jitterMilliseconds
        self.loss = loss
        self.provider = provider
        self.country = country
        self.protocol = `protocol`
        self.wgAvailableSlots = wgAvailableSlots
        self.wgSlots = wgSlots
        self.load = load
        self.loadKind = loadKind
        self.names = names
    }
}
