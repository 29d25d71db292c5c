/// One server's measured figures, as Ranking sees them. Ranking knows nothing of sockets or providers.
public struct Candidate: Hashable, Sendable, Codable {
    /// Whether, and how, the server answered.
    public enum Status: String, Hashable, Sendable, Codable, Comparable {
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
        public static func < (lhs: Status, rhs: Status) -> Bool { lhs.tier < rhs.tier }
    }

    /// A stable identity used for deterministic tie-breaks (for example `address:port`).
    public var id: String
    /// How the server answered.
    public var status: Status
    /// Median RTT in milliseconds, `nil` without an answer.
    public var medianMilliseconds: Double?
    /// 90th-percentile RTT in milliseconds.
    public var p90Milliseconds: Double?
    /// Mean absolute difference of consecutive RTT samples, in milliseconds.
    public var jitterMilliseconds: Double?
    /// Share of probes lost, 0...1.
    public var loss: Double
    /// The provider, when the server came from one.
    public var provider: String?
    /// Country (name or ISO code).
    public var country: String?
    /// Protocol (`wireguard`, `openvpn`, `vmess`, ...).
    public var `protocol`: String?
    /// Free WireGuard slots.
    public var wgAvailableSlots: Int?
    /// All WireGuard slots.
    public var wgSlots: Int?
    /// Load as the provider reports it: a count (``LoadKind/count``), a fraction or a percentage.
    public var load: Double?
    /// What ``load`` is; `nil` is a count.
    public var loadKind: LoadKind?
    /// Names it can be excluded by (`--exclude`): target text, host, server name, id.
    public var names: [String]

    /// What a provider's load figure means.
    public enum LoadKind: String, Hashable, Sendable, Codable {
        /// A count with no capacity (active connections): judged within its provider.
        case count
        /// A utilisation, 0...1 (a value above 1 in a provider's list makes them all percentages).
        case utilisation
        /// A utilisation in percent, 0...100.
        case percent
    }

    /// A candidate.
    public init(
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
