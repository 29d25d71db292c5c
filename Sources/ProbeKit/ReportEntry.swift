public import Prober
public import Ranking

/// One target in a report: what was probed, what was measured, and its score.
/// Its JSON keys are a stable contract (see the README's JSON schema).
public struct ReportEntry: Hashable, Sendable, Codable {
    /// One probe's outcome.
    public struct Sample: Hashable, Sendable, Codable {
        /// `open`, `refused`, `timeout`, `unreachable` or `error`.
        public var outcome: String
        /// RTT in milliseconds for answered probes, else `nil`.
        public var rttMs: Double?
        /// `kernel` or `monotonic` for answered probes.
        public var timing: String?
        /// The errno name for `unreachable` and `error`.
        public var errno: String?

        enum CodingKeys: String, CodingKey {
            case outcome, rttMs = "rtt_ms", timing, errno
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(outcome, forKey: .outcome)
            try container.encode(rttMs, forKey: .rttMs)
            try container.encode(timing, forKey: .timing)
            try container.encodeIfPresent(errno, forKey: .errno)
        }
    }

    /// 1 for the best.
    public var rank: Int
    /// The target as given.
    public var target: String
    /// Host name or address, as given.
    public var host: String
    /// The address probed, `nil` when the name did not resolve.
    public var address: String?
    /// The port probed.
    public var port: Int
    /// The probe method.
    public var method: String
    /// Whether the host answered at least once.
    public var reachable: Bool
    /// `open`, `refused`, `timeout`, `unreachable`, `error` or `unresolved`.
    public var state: String
    /// Probes sent.
    public var sent: Int
    /// Probes answered.
    public var received: Int
    /// Share lost, 0...1.
    public var loss: Double
    /// RTT figures, `nil` without answers.
    public var rttMs: RTTStatistics?
    /// Name lookup time in milliseconds, `nil` for numeric addresses.
    public var dnsMs: Double?
    /// `kernel` or `monotonic`, `nil` without answers.
    public var timing: String?
    /// The ranking score (effective latency in ms, lower is better), `nil` when unreachable.
    public var score: Double?
    /// Every sample, in send order.
    public var samples: [Sample]

    enum CodingKeys: String, CodingKey {
        case rank, target, host, address, port, method, reachable, state, sent, received, loss
        case rttMs = "rtt_ms", dnsMs = "dns_ms", timing, score, samples
    }

    /// Every key is written, `null` included, so scripts can rely on them.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rank, forKey: .rank)
        try container.encode(target, forKey: .target)
        try container.encode(host, forKey: .host)
        try container.encode(address, forKey: .address)
        try container.encode(port, forKey: .port)
        try container.encode(method, forKey: .method)
        try container.encode(reachable, forKey: .reachable)
        try container.encode(state, forKey: .state)
        try container.encode(sent, forKey: .sent)
        try container.encode(received, forKey: .received)
        try container.encode(loss, forKey: .loss)
        try container.encode(rttMs, forKey: .rttMs)
        try container.encode(dnsMs, forKey: .dnsMs)
        try container.encode(timing, forKey: .timing)
        try container.encode(score, forKey: .score)
        try container.encode(samples, forKey: .samples)
    }

    /// An entry from a probe result and its ranking.
    public init(result: TargetResult, ranked: RankedCandidate, method: ProbeMethod) {
        rank = ranked.rank
        target = result.target.text
        host = result.target.host
        address = result.address?.host
        port = Int(result.target.port)
        self.method = method.rawValue
        reachable = result.reachable
        state = result.state.rawValue
        sent = result.sent
        received = result.received
        loss = Self.rounded(result.loss, places: 4)
        rttMs = result.rtt.map {
            RTTStatistics(min: Self.ms($0.min), median: Self.ms($0.median), mean: Self.ms($0.mean), p90: Self.ms($0.p90),
                          max: Self.ms($0.max), stddev: Self.ms($0.stddev), jitter: Self.ms($0.jitter))
        }
        dnsMs = result.resolveMilliseconds.map(Self.ms)
        timing = result.timing?.rawValue
        score = ranked.score.map(Self.ms)
        samples = result.samples.map { sample in
            var errno: String?
            switch sample.outcome {
            case .error(let name), .unreachable(let name): errno = name
            default: errno = nil
            }
            return Sample(outcome: sample.outcome.name, rttMs: sample.rttMilliseconds.map(Self.ms),
                          timing: sample.timing?.rawValue, errno: errno)
        }
    }

    /// Milliseconds to the microsecond.
    static func ms(_ value: Double) -> Double { rounded(value, places: 3) }

    static func rounded(_ value: Double, places: Int) -> Double {
        guard value.isFinite else { return value }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (value * scale).rounded() / scale
    }
}
