

/// Figures about the sweep itself, for tests, benchmarks and the curious.
public struct SweepSummary: Hashable, Sendable, Codable {
    /// Targets given.
    public var targets: Int
    /// Probes started (connect attempts).
    public var probesStarted: Int
    /// The most sockets that were open at once.
    public var peakInFlight: Int
    /// The in-flight limit in force at the end (after fitting `RLIMIT_NOFILE`).
    public var effectiveMaxInFlight: Int
    /// Probes put back because the system ran out of descriptors.
    public var descriptorRetries: Int
    /// Time spent resolving names, in milliseconds.
    public var resolveMilliseconds: Double
    /// Time from the first probe to the last result, in milliseconds.
    public var probeMilliseconds: Double
    /// Whether the sweep was cancelled before it finished.
    public var cancelled: Bool
    /// The ICMP socket kind used (IPv4 first), when ICMP ran.
    public var icmpSocket: ICMPSocketKind?
    /// Why ICMP could not run, with the fix, when it was asked for and could not.
    public var icmpUnavailable: String?
    /// Probes abandoned at the early-answer cutoff (0 for a full sweep).
    public var pruned: Int
    /// Why ``effectiveMaxInFlight`` is not what was asked (`ulimit -n`, the system out of
    /// descriptors); `nil` when it is, or when it grew with the work.
    public var maxInFlightReason: String?

    /// Figures about a sweep.
    public init(
        targets: Int, probesStarted: Int, peakInFlight: Int, effectiveMaxInFlight: Int, descriptorRetries: Int,
        resolveMilliseconds: Double, probeMilliseconds: Double, cancelled: Bool, icmpSocket: ICMPSocketKind? = nil,
        icmpUnavailable: String? = nil, pruned: Int = 0
    ) {
        self.pruned = pruned
        self.targets = targets
        self.probesStarted = probesStarted
        self.peakInFlight = peakInFlight
        self.effectiveMaxInFlight = effectiveMaxInFlight
        self.descriptorRetries = descriptorRetries
        self.resolveMilliseconds = resolveMilliseconds
        self.probeMilliseconds = probeMilliseconds
        self.cancelled = cancelled
        self.icmpSocket = icmpSocket
        self.icmpUnavailable = icmpUnavailable
    }

    /// The figures of a sweep cancelled before it could report its own.
    public static func cancelled(targets: Int) -> SweepSummary {
        SweepSummary(targets: targets, probesStarted: 0, peakInFlight: 0, effectiveMaxInFlight: 0, descriptorRetries: 0,
                     resolveMilliseconds: 0, probeMilliseconds: 0, cancelled: true)
    }

    enum CodingKeys: String, CodingKey {
        case targets, probesStarted = "probes_started", peakInFlight = "peak_in_flight"
        case effectiveMaxInFlight = "max_in_flight", descriptorRetries = "descriptor_retries"
        case resolveMilliseconds = "resolve_ms", probeMilliseconds = "probe_ms", cancelled
        case icmpSocket = "icmp_socket", icmpUnavailable = "icmp_unavailable", pruned
        case maxInFlightReason = "max_in_flight_reason"
    }
}
