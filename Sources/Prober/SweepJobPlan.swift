/// Which probes one address gets: the sweep's job plan. Pure: the same rules for the targets a
/// sweep starts with and for servers handed to a live sweep while it runs.
enum SweepJobPlan {
    /// What one address gets.
    enum Plan: Equatable, Sendable {
        /// These kinds of probe, in this order.
        case probe([ProbeKind])
        /// Nothing can measure it: TCP alone and no known port (knocking on a guessed port would
        /// rank it `refused` for no reason).
        case unmeasurable
        /// Only handshake methods were asked for and this target has no keys for them.
        case noHandshake
    }

    /// The probes for an address whose target's port is `portKnown`, given the methods asked for
    /// and whether an ICMP socket runs for its family. A first round gets one cheap probe: ICMP
    /// (no descriptor, not slowed by the in-flight cap) where it runs, else TCP.
    /// `handshake` is the kind of handshake the target's keys allow (when they do): where it is
    /// among the methods, it alone measures the target (first round included): it times the
    /// service itself and proves it accepts this client.
    static func plan(methods: Set<ProbeKind>, icmpRuns: Bool, portKnown: Bool, firstRound: Bool, handshake: ProbeKind? = nil) -> Plan {
        if let handshake, methods.contains(handshake) { return .probe([handshake]) }
        let methods = methods.filter { !$0.isHandshake }
        if methods.isEmpty { return .noHandshake }
        let icmpRuns = icmpRuns && methods.contains(.icmp)
        if !icmpRuns, !portKnown { return .unmeasurable }
        if firstRound {
            if icmpRuns { return .probe([.icmp]) }
            return methods.contains(.tcp) ? .probe([.tcp]) : .probe([])
        }
        var kinds: [ProbeKind] = []
        for kind in [ProbeKind.tcp, .icmp] where methods.contains(kind) {
            if kind == .icmp, !icmpRuns { continue }
            // No known port: knocking on a guessed one says nothing when ICMP can answer instead.
            if kind == .tcp, icmpRuns, !portKnown { continue }
            kinds.append(kind)
        }
        return .probe(kinds)
    }

    /// What an unmeasurable target's TCP measurement says.
    static let unmeasurableTCP = Measurement(
        method: .tcp, samples: [], unavailable: "no TCP port known (its provider lists none): not measurable by TCP; ICMP would measure it")
}
