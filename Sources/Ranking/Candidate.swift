/// One server's measured figures, as Ranking sees them. Ranking knows nothing of sockets or providers.
public struct Candidate: Hashable, Sendable, Codable {
    /// Whether, and how, the server answered.
    public enum Status: String, Hashable, Sendable, Codable, Comparable {
        /// It answered and the service is there (TCP port open).
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

    /// A candidate.
    public init(
        id: String, status: Status, medianMilliseconds: Double?, p90Milliseconds: Double? = nil,
        jitterMilliseconds: Double? = nil, loss: Double
    ) {
        self.id = id
        self.status = status
        self.medianMilliseconds = medianMilliseconds
        self.p90Milliseconds = p90Milliseconds
        self.jitterMilliseconds = jitterMilliseconds
        self.loss = loss
    }
}
