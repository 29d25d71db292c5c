/// The overall state of a target after all its samples.
package enum TargetState: String, Hashable, Sendable, Codable {
    /// At least one handshake completed.
    case open
    /// At least one ICMP echo reply came back.
    case alive
    /// The host answered, but only with RST (port closed).
    case refused
    /// Every sample failed with an ICMP error or a routing failure (and none was answered).
    case unreachable
    /// No answer before the timeout (and no routing error).
    case timeout
    /// No answer before the early-answer cutoff: slower than a server already measured, so it cannot win.
    case pruned
    /// Local errors only.
    case error
    /// The host name did not resolve; nothing was sent.
    case unresolved
    /// Nothing could measure it: TCP alone, and no port is known (a provider that lists none):
    /// knocking on a guessed port would rank it `refused` for no reason.
    case unmeasurable
}

/// Everything measured for one target: the final result a sweep yields for it.
package struct TargetResult: Hashable, Sendable {
    /// The target's position in the list given to the engine.
    package var index: Int
    /// The target as given.
    package var target: ProbeTarget
    /// The address probed, `nil` when the name did not resolve.
    package var address: SocketAddress?
    /// Time the name lookup took, in milliseconds (`nil` for numeric addresses). Never part of an RTT.
    package var resolveMilliseconds: Double?
    /// Why the name did not resolve.
    package var resolveError: String?
    /// What TCP connect measured, when it ran.
    package var tcp: Measurement?
    /// What ICMP echo measured, when it ran (or why it could not).
    package var icmp: Measurement?

    /// A result.
    package init(
        index: Int, target: ProbeTarget, address: SocketAddress?, resolveMilliseconds: Double? = nil,
        resolveError: String? = nil, tcp: Measurement? = nil, icmp: Measurement? = nil
    ) {
        self.index = index
        self.target = target
        self.address = address
        self.resolveMilliseconds = resolveMilliseconds
        self.resolveError = resolveError
        self.tcp = tcp
        self.icmp = icmp
    }

    /// A TCP-only result (as earlier versions built them).
    package init(
        index: Int, target: ProbeTarget, address: SocketAddress?, resolveMilliseconds: Double? = nil,
        resolveError: String? = nil, samples: [ProbeSample]
    ) {
        self.init(index: index, target: target, address: address, resolveMilliseconds: resolveMilliseconds,
                  resolveError: resolveError, tcp: address == nil ? nil : Measurement(method: .tcp, samples: samples))
    }

    /// The measurement a ranking should use: TCP when the port is open, else ICMP when it was
    /// answered, else whichever ran (TCP first).
    package var primary: Measurement? {
        if let tcp, tcp.state == .open { return tcp }
        if let icmp, icmp.reachable { return icmp }
        return tcp ?? icmp
    }

    /// The primary measurement's samples.
    package var samples: [ProbeSample] { primary?.samples ?? [] }
    /// Probes sent (primary measurement).
    package var sent: Int { primary?.sent ?? 0 }
    /// Probes answered (primary measurement).
    package var received: Int { primary?.received ?? 0 }
    /// Share lost, 0...1 (primary measurement; 1 when nothing was sent).
    package var loss: Double { primary?.loss ?? 1 }
    /// Whether the host answered at least once, by any method.
    package var reachable: Bool { (tcp?.reachable ?? false) || (icmp?.reachable ?? false) }
    /// RTT figures of the primary measurement.
    package var rtt: RTTStatistics? { primary?.rtt }
    /// Timing of the primary measurement.
    package var timing: TimingSource? { primary?.timing }
    /// The target's state: TCP's when its port answered (`open` or `refused`: the service is, or
    /// is not, there), else the primary measurement's (`alive` when only ICMP answered);
    /// `unresolved` when the name did not resolve.
    package var state: TargetState {
        guard address != nil else { return .unresolved }
        if let tcp, tcp.state == .open || tcp.state == .refused { return tcp.state }
        return primary?.state ?? .error
    }
    /// Error names of the primary measurement.
    package var errorNames: [String] { primary?.errorNames ?? [] }
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
    /// The ICMP socket kind used (IPv4 first), when ICMP ran.
    public var icmpSocket: ICMPSocketKind?
    /// Why ICMP could not run, with the fix, when it was asked for and could not.
    public var icmpUnavailable: String?
    /// Probes abandoned at the early-answer cutoff (0 for a full sweep).
    public var pruned: Int

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
    }
}
