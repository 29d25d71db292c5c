/// What one method (TCP, ICMP or a service's handshake) measured of one target.
package struct Measurement: Hashable, Sendable {
    // Declared widest first, so that a result's three optional measurements take 32 bytes each, not 40.
    /// Every sample, in send order.
    package var samples: [ProbeSample]
    /// Why this method could not run at all (for example no ICMP permission); no samples then.
    package var unavailable: String?
    /// The method.
    package var method: ProbeKind
    /// For ICMP: the kind of socket used.
    package var socketKind: ICMPSocketKind?

    /// A measurement.
    package init(method: ProbeKind, samples: [ProbeSample], socketKind: ICMPSocketKind? = nil, unavailable: String? = nil) {
        self.method = method
        self.samples = samples
        self.socketKind = socketKind
        self.unavailable = unavailable
    }

    /// Probes sent.
    package var sent: Int { samples.count }
    /// Probes abandoned at the early-answer cutoff.
    package var pruned: Int { samples.reduce(0) { $0 + ($1.outcome == .pruned ? 1 : 0) } }
    /// Answers that were WireGuard cookie replies (the server under load).
    package var cookies: Int { samples.reduce(0) { $0 + ($1.outcome == .cookie ? 1 : 0) } }
    /// Probes answered.
    package var received: Int { samples.reduce(0) { $0 + ($1.outcome.answered ? 1 : 0) } }
    /// Share of probes not answered, 0...1 (1 when nothing was sent).
    package var loss: Double { sent == 0 ? 1 : Double(sent - received) / Double(sent) }
    /// Whether the host answered at least once.
    package var reachable: Bool { received > 0 }

    /// RTT figures over the answered samples, `nil` when none was answered.
    package var rtt: RTTStatistics? {
        RTTStatistics(samplesInSendOrder: samples.compactMap { $0.outcome.answered ? $0.rttMilliseconds : nil })
    }

    /// `kernel` when every RTT came from the kernel, `monotonic` when any was taken with the
    /// monotonic clock, `nil` without RTT samples.
    package var timing: TimingSource? {
        let sources = samples.compactMap { $0.outcome.answered ? $0.timing : nil }
        if sources.isEmpty { return nil }
        return sources.allSatisfy { $0 == .kernel } ? .kernel : .monotonic
    }

    /// The most informative outcome across the samples.
    package var state: TargetState {
        if samples.isEmpty, method != .icmp, unavailable != nil { return .unmeasurable }
        var sawRefused = false, sawReply = false, sawUnreachable = false, sawTimeout = false, sawPruned = false
        for sample in samples {
            switch sample.outcome {
            case .open, .handshake, .cookie: return .open
            case .reply: sawReply = true
            case .refused: sawRefused = true
            case .unreachable: sawUnreachable = true
            case .timeout: sawTimeout = true
            case .pruned: sawPruned = true
            case .error: break
            }
        }
        if sawReply { return .alive }
        if sawRefused { return .refused }
        if sawUnreachable { return .unreachable }
        if sawPruned { return .pruned }
        if sawTimeout { return .timeout }
        return .error
    }

    /// The errno names (or ICMP error names) of error and unreachable samples, deduplicated, in order.
    package var errorNames: [String] {
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
