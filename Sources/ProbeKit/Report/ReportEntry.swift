public import Prober
public import ProviderFetch
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

        init(_ sample: ProbeSample) {
            outcome = sample.outcome.name
            rttMs = sample.rttMilliseconds.map(ReportEntry.ms)
            timing = sample.timing?.rawValue
            switch sample.outcome {
            case .error(let name), .unreachable(let name): errno = name
            default: errno = nil
            }
        }

        /// Writes every key, `null` included.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(outcome, forKey: .outcome)
            try container.encode(rttMs, forKey: .rttMs)
            try container.encode(timing, forKey: .timing)
            try container.encodeIfPresent(errno, forKey: .errno)
        }
    }

    /// One method's measurement of the target (under `tcp` and `icmp` when both ran).
    public struct MethodReport: Hashable, Sendable, Codable {
        /// `open`, `refused`, `alive`, `timeout`, `unreachable` or `error`.
        public var state: String
        /// Probes sent.
        public var sent: Int
        /// Probes answered.
        public var received: Int
        /// Share lost, 0...1.
        public var loss: Double
        /// RTT figures, `nil` without answers.
        public var rttMs: RTTStatistics?
        /// `kernel` or `monotonic`.
        public var timing: String?
        /// ICMP only: `ping` (unprivileged socket) or `raw`.
        public var socket: String?
        /// Why this method could not run, if it could not.
        public var unavailable: String?
        /// Every sample, in send order.
        public var samples: [Sample]
        /// The method (`tcp`, `icmp`, `wireguard`, `openvpn`); written for a handshake only.
        public var method: String?
        /// Handshakes only: how many answers were WireGuard cookie replies (the server under load).
        public var cookies: Int?

        enum CodingKeys: String, CodingKey {
            case state, sent, received, loss, rttMs = "rtt_ms", timing, socket, unavailable, samples, method, cookies
        }

        /// Writes every key, `null` included.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(state, forKey: .state)
            try container.encode(sent, forKey: .sent)
            try container.encode(received, forKey: .received)
            try container.encode(loss, forKey: .loss)
            try container.encode(rttMs, forKey: .rttMs)
            try container.encode(timing, forKey: .timing)
            try container.encodeIfPresent(socket, forKey: .socket)
            try container.encodeIfPresent(unavailable, forKey: .unavailable)
            try container.encode(samples, forKey: .samples)
            try container.encodeIfPresent(method, forKey: .method)
            try container.encodeIfPresent(cookies, forKey: .cookies)
        }

        init(_ measurement: Measurement) {
            state = measurement.unavailable == nil ? measurement.state.rawValue : "unavailable"
            sent = measurement.sent
            received = measurement.received
            loss = ReportEntry.rounded(measurement.loss, places: 4)
            rttMs = measurement.rtt.map(ReportEntry.rounded)
            timing = measurement.timing?.rawValue
            socket = measurement.socketKind?.rawValue
            unavailable = measurement.unavailable
            samples = measurement.samples.map(Sample.init)
            if measurement.method.isHandshake {
                method = measurement.method.rawValue
                cookies = measurement.cookies > 0 ? measurement.cookies : nil
            }
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
    /// The port probed (by TCP; ICMP uses none).
    public var port: Int
    /// The port a client connects to, when known: the target's, or the one its provider lists;
    /// `null` for a server listed without one (it was pinged, and the connection's material
    /// names the real one).
    public var servicePort: Int?
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
    /// Every sample of the ranked method, in send order.
    public var samples: [Sample]
    /// TCP's measurement, when both methods ran.
    public var tcp: MethodReport? {
        get { details?.tcp }
        set { updateDetails { $0.tcp = newValue } }
    }
    /// ICMP's measurement, when both methods ran.
    public var icmp: MethodReport? {
        get { details?.icmp }
        set { updateDetails { $0.icmp = newValue } }
    }
    /// The service's own handshake (`wireguard`, `openvpn`), when it was run or could not be:
    /// under its method's name in ``MethodReport/method``.
    public var handshake: MethodReport? {
        get { details?.handshake }
        set { updateDetails { $0.handshake = newValue } }
    }
    /// The provider's server this target came from (normalised), when it came from one.
    public var server: Server? {
        get { details?.server }
        set { updateDetails { $0.server = newValue } }
    }
    /// Custom labels from the configuration (a provider's own `labels`, the `labels` rules), when any.
    public var labels: [String: String]? {
        get { details?.labels }
        set { updateDetails { $0.labels = newValue } }
    }
    /// The parts many entries lack, out of line: an entry of a 10,000-target report stays small.
    private var details: Details?
    /// The score term by term (ms), when it has a score.
    public var scoreTerms: ScoreTerms?
    /// Why it was left out of the ranking (a filter, no free WireGuard slot), when it was.
    public var excluded: String?
    /// The identity the ranking and stickiness know it by (not encoded).
    public var candidateID: String = ""
    /// The position of its target in the list that was probed (not encoded).
    public var inputIndex: Int?

    enum CodingKeys: String, CodingKey {
        case rank, target, host, address, port, servicePort = "service_port", method, reachable, state, sent, received, loss
        case rttMs = "rtt_ms", dnsMs = "dns_ms", timing, score, samples, tcp, icmp, handshake, server
        case scoreTerms = "score_terms", excluded, labels
    }

    /// Reads an entry; every key the schema marks optional may be missing.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        rank = try container.decode(Int.self, forKey: .rank)
        target = try container.decode(String.self, forKey: .target)
        host = try container.decode(String.self, forKey: .host)
        address = try container.decodeIfPresent(String.self, forKey: .address)
        port = try container.decode(Int.self, forKey: .port)
        servicePort = try container.decodeIfPresent(Int.self, forKey: .servicePort)
        method = try container.decode(String.self, forKey: .method)
        reachable = try container.decode(Bool.self, forKey: .reachable)
        state = try container.decode(String.self, forKey: .state)
        sent = try container.decode(Int.self, forKey: .sent)
        received = try container.decode(Int.self, forKey: .received)
        loss = try container.decode(Double.self, forKey: .loss)
        rttMs = try container.decodeIfPresent(RTTStatistics.self, forKey: .rttMs)
        dnsMs = try container.decodeIfPresent(Double.self, forKey: .dnsMs)
        timing = try container.decodeIfPresent(String.self, forKey: .timing)
        score = try container.decodeIfPresent(Double.self, forKey: .score)
        samples = try container.decode([Sample].self, forKey: .samples)
        scoreTerms = try container.decodeIfPresent(ScoreTerms.self, forKey: .scoreTerms)
        excluded = try container.decodeIfPresent(String.self, forKey: .excluded)
        tcp = try container.decodeIfPresent(MethodReport.self, forKey: .tcp)
        icmp = try container.decodeIfPresent(MethodReport.self, forKey: .icmp)
        handshake = try container.decodeIfPresent(MethodReport.self, forKey: .handshake)
        server = try container.decodeIfPresent(Server.self, forKey: .server)
        labels = try container.decodeIfPresent([String: String].self, forKey: .labels)
    }

    /// Every key is written, `null` included, so scripts can rely on them.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rank, forKey: .rank)
        try container.encode(target, forKey: .target)
        try container.encode(host, forKey: .host)
        try container.encode(address, forKey: .address)
        try container.encode(port, forKey: .port)
        try container.encode(servicePort, forKey: .servicePort)
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
        try container.encodeIfPresent(tcp, forKey: .tcp)
        try container.encodeIfPresent(icmp, forKey: .icmp)
        try container.encodeIfPresent(handshake, forKey: .handshake)
        try container.encodeIfPresent(server, forKey: .server)
        try container.encodeIfPresent(scoreTerms, forKey: .scoreTerms)
        try container.encodeIfPresent(excluded, forKey: .excluded)
        if let labels {
            // In name order, so the same labels are the same text in every run.
            var nested = container.nestedContainer(keyedBy: LabelKey.self, forKey: .labels)
            for name in labels.keys.sorted() { try nested.encode(labels[name], forKey: LabelKey(stringValue: name)) }
        }
    }

    /// A label's name as a JSON key.
    private struct LabelKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// An entry from a probe result and its ranking.
    package init(result: TargetResult, ranked: RankedCandidate, method: ProbeMethod) {
        self.init(figures: ResultFigures(result), ranked: ranked, method: method)
    }

    init(figures: ResultFigures, ranked: RankedCandidate, method: ProbeMethod) {
        self.init(figures: figures, rank: ranked.rank, score: ranked.score, terms: ranked.terms, excluded: ranked.excluded,
                  candidateID: ranked.candidate.id, method: method)
    }

    /// An entry from a result's figures and its place in the ranking.
    init(figures: ResultFigures, rank: Int, score: Double?, terms: ScoreTerms?, excluded: String?, candidateID: String, method: ProbeMethod) {
        let result = figures.result
        self.rank = rank
        target = result.target.text
        host = result.target.host
        address = figures.addressText
        port = Int(result.target.port)
        servicePort = result.target.portKnown ? port : nil
        if let service = result.target.handshake, let measured = result.handshake, measured.unavailable == nil {
            // Measured by its own handshake: at the service's port.
            port = Int(service.port)
            servicePort = port
        }
        self.method = (figures.primary?.method ?? (method == .icmp ? .icmp : .tcp)).rawValue
        reachable = result.reachable
        state = figures.state.rawValue
        let primary = figures.primary
        sent = primary?.sent ?? 0
        received = primary?.received ?? 0
        loss = Self.rounded(figures.loss, places: 4)
        rttMs = figures.rtt.map(Self.rounded)
        dnsMs = result.resolveMilliseconds.map(Self.ms)
        timing = primary?.timing?.rawValue
        self.score = score.map(Self.ms)
        scoreTerms = terms.map {
            ScoreTerms(rounded: $0) 
        }
        self.excluded = excluded
        self.candidateID = candidateID
        inputIndex = result.index
        samples = (primary?.samples ?? []).map(Sample.init)
        if result.tcp != nil, result.icmp != nil {
            tcp = result.tcp.map(MethodReport.init)
            icmp = result.icmp.map(MethodReport.init)
        }
        if let measurement = result.handshake { handshake = MethodReport(measurement) }
    }

    /// Changes the out-of-line parts on a copy (so entries that shared them stay as they were).
    private mutating func updateDetails(_ change: (Details) -> Void) {
        let copy = Details(tcp: details?.tcp, icmp: details?.icmp, server: details?.server, labels: details?.labels)
        copy.handshake = details?.handshake
        change(copy)
        details = copy.tcp == nil && copy.icmp == nil && copy.handshake == nil && copy.server == nil && copy.labels == nil ? nil : copy
    }

    /// Both methods' measurements and the provider's server: never changed once shared (see
    /// ``updateDetails(_:)``), so sharing one between entries and threads is safe.
    private final class Details: Hashable, @unchecked Sendable {
        var tcp: MethodReport?
        var icmp: MethodReport?
        var handshake: MethodReport?
        var server: Server?
        var labels: [String: String]?

        init(tcp: MethodReport?, icmp: MethodReport?, server: Server?, labels: [String: String]?) {
            self.tcp = tcp
            self.icmp = icmp
            self.server = server
            self.labels = labels
        }

        static func == (lhs: Details, rhs: Details) -> Bool {
            lhs.tcp == rhs.tcp && lhs.icmp == rhs.icmp && lhs.handshake == rhs.handshake && lhs.server == rhs.server && lhs.labels == rhs.labels
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(tcp)
            hasher.combine(icmp)
            hasher.combine(handshake)
            hasher.combine(server)
            hasher.combine(labels)
        }
    }

    /// RTT figures to the microsecond.
    static func rounded(_ rtt: RTTStatistics) -> RTTStatistics {
        RTTStatistics(min: ms(rtt.min), median: ms(rtt.median), mean: ms(rtt.mean), p90: ms(rtt.p90),
                      max: ms(rtt.max), stddev: ms(rtt.stddev), jitter: ms(rtt.jitter))
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
