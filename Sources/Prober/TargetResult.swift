

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
    /// What the service's own handshake (WireGuard, OpenVPN) measured, when it ran (or why it could not).
    package var handshake: Measurement?

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

    /// The measurement a ranking should use: the service's handshake when it ran (it alone proves
    /// the service accepts this client), else TCP when the port is open, else ICMP when it was
    /// answered, else whichever ran (TCP first).
    package var primary: Measurement? {
        if let handshake = rankedHandshake { return handshake }
        if let tcp, tcp.state == .open { return tcp }
        if let icmp, icmp.reachable { return icmp }
        return tcp ?? icmp
    }

    /// The handshake measurement when it decides: it ran, or nothing else did (then it says why
    /// the server could not be measured).
    private var rankedHandshake: Measurement? {
        guard let handshake else { return nil }
        return handshake.unavailable == nil || (tcp == nil && icmp == nil) ? handshake : nil
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
    package var reachable: Bool {
        if let handshake = rankedHandshake { return handshake.reachable }
        return (tcp?.reachable ?? false) || (icmp?.reachable ?? false)
    }
    /// RTT figures of the primary measurement.
    package var rtt: RTTStatistics? { primary?.rtt }
    /// Timing of the primary measurement.
    package var timing: TimingSource? { primary?.timing }
    /// The target's state: TCP's when its port answered (`open` or `refused`: the service is, or
    /// is not, there), else the primary measurement's (`alive` when only ICMP answered);
    /// `unresolved` when the name did not resolve.
    package var state: TargetState {
        guard address != nil else { return .unresolved }
        if let handshake = rankedHandshake { return handshake.state }
        if let tcp, tcp.state == .open || tcp.state == .refused { return tcp.state }
        return primary?.state ?? .error
    }
    /// Error names of the primary measurement.
    package var errorNames: [String] { primary?.errorNames ?? [] }
}
