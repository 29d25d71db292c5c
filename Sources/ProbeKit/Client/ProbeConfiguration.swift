public import Prober
public import Ranking

/// Everything that shapes a run: how to probe and how to rank.
public struct ProbeConfiguration: Hashable, Sendable, Codable {
    /// Sweep options (parallelism, rate, timeout, samples, interval).
    public var probe: ProbeOptions
    /// The probe method.
    public var method: ProbeMethod
    /// Ranking weights.
    public var ranking: RankingWeights
    /// Which servers may win.
    public var filter: CandidateFilter
    /// How ``ProbeClient/best()`` answers early.
    public var early: EarlyAnswerOptions
    /// Run WireGuard handshakes even for a server whose private key a local WireGuard interface
    /// holds (a handshake moves that server's idea of the peer's endpoint until the tunnel speaks
    /// again). Default `false`: such servers are measured without it, and the report says why.
    public var handshakeAnyway: Bool = false

    /// A configuration with the documented defaults, or the values given.
    public init(
        probe: ProbeOptions = ProbeOptions(), method: ProbeMethod = .auto, ranking: RankingWeights = RankingWeights(),
        filter: CandidateFilter = CandidateFilter(), early: EarlyAnswerOptions = EarlyAnswerOptions()
    ) {
        self.early = early
        self.probe = probe
        self.method = method
        self.ranking = ranking
        self.filter = filter
    }
}

extension ProbeConfiguration {
    enum CodingKeys: String, CodingKey {
        case probe, method, ranking, filter, early, handshakeAnyway
    }

    /// Reads the value; every key is optional and takes its default when missing.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ProbeConfiguration()
        probe = try container.value(.probe, or: defaults.probe)
        method = try container.value(.method, or: defaults.method)
        ranking = try container.value(.ranking, or: defaults.ranking)
        filter = try container.value(.filter, or: defaults.filter)
        early = try container.value(.early, or: defaults.early)
        handshakeAnyway = try container.value(.handshakeAnyway, or: defaults.handshakeAnyway)
    }
}
