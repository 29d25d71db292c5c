/// The overall state of a target after all its samples.
public enum TargetState: String, Hashable, Sendable, Codable {
    /// At least one handshake completed.
    case open
    /// The host answered, but only with RST (port closed).
    case refused
    /// Every sample failed with an ICMP error or a routing failure (and none was answered).
    case unreachable
    /// No answer before the timeout (and no routing error).
    case timeout
    /// Local errors only.
    case error
    /// The host name did not resolve; nothing was sent.
    case unresolved
}

/// Everything measured for one target: the final result a sweep yields for it.
public struct TargetResult: Hashable, Sendable {
    /// The target's position in the list given to the engine.
    public var index: Int
    /// The target as given.
    public var target: ProbeTarget
    /// The address probed, `nil` when the name did not resolve.
    public var address: SocketAddress?
    /// Time the name lookup took, in milliseconds (`nil` for numeric addresses). Never part of an RTT.
    public var resolveMilliseconds: Double?
    /// Why the name did not resolve.
    public var resolveError: String?
    /// Every sample, in send order.
    public var samples: [ProbeSample]

    /// A result.
    public init(
        index: Int, target: ProbeTarget, address: SocketAddress?, resolveMilliseconds: Double? = nil,
        resolveError: String? = nil, samples: [ProbeSample]
    ) {
        self.index = index
        self.target = target
        self.address = address
        self.resolveMilliseconds = resolveMilliseconds
        self.resolveError = resolveError
        self.samples = samples
    }

    /// Probes sent.
    public var sent: Int { samples.count }
    /// Probes answered (open or refused).
    public var received: Int { samples.reduce(0) { $0 + ($1.outcome.answered ? 1 : 0) } }
    /// Share of probes not answered, 0...1 (1 when nothing was sent).
    public var loss: Double { sent == 0 ? 1 : Double(sent - received) / Double(sent) }
    /// Whether the host answered at least once.
    public var reachable: Bool { received > 0 }

    /// RTT figures over the answered samples, `nil` when none was answered.
    public var rtt: RTTStatistics? {
        RTTStatistics(samplesInSendOrder: samples.compactMap { $0.outcome.answered ? $0.rttMilliseconds : nil })
    }

    /// `kernel` when every RTT came from the kernel, `monotonic` when any was taken with the
    /// monotonic clock, `nil` without RTT samples.
    public var timing: TimingSource? {
        let sources = samples.compactMap { $0.outcome.answered ? $0.timing : nil }
        if sources.isEmpty { return nil }
        return sources.allSatisfy { $0 == .kernel } ? .kernel : .monotonic
    }

    /// The most informative outcome across the samples.
    public var state: TargetState {
        if address == nil { return .unresolved }
        var sawRefused = false, sawUnreachable = false, sawTimeout = false
        for sample in samples {
            switch sample.outcome {
            case .open: return .open
            case .refused: sawRefused = true
            case .unreachable: sawUnreachable = true
            case .timeout: sawTimeout = true
            case .error: break
            }
        }
        if sawRefused { return .refused }
        if sawUnreachable { return .unreachable }
        if sawTimeout { return .timeout }
        return .error
    }

    /// The errno names of error and unreachable samples, deduplicated, in order.
    public var errorNames: [String] {
        var names: [String] = []
        for sample in samples {
            switch sample.outcome {
            case .error(let name), .unreachable(let name):
                if !names.contains(name) { names.append(name) }
            default: break
            }
        }
        return names
    }
}

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

    enum CodingKeys: String, CodingKey {
        case targets, probesStarted = "probes_started", peakInFlight = "peak_in_flight"
        case effectiveMaxInFlight = "max_in_flight", descriptorRetries = "descriptor_retries"
        case resolveMilliseconds = "resolve_ms", probeMilliseconds = "probe_ms", cancelled
    }
}
