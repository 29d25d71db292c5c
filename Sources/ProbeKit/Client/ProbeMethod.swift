import Prober

/// How servers are probed.
public enum ProbeMethod: String, Hashable, Sendable, Codable, CaseIterable {
    /// TCP connect to the server's port (the handshake RTT).
    case tcp
    /// ICMP echo (ping).
    case icmp
    /// Both, reported side by side for every target; ICMP must be available.
    case both
    /// Both where they can run: rank on TCP when the port is open, else on ICMP. Without ICMP
    /// permission it goes on with TCP alone (the report says why). The default.
    case auto

    /// The probe kinds this method runs.
    package var kinds: Set<ProbeKind> {
        switch self {
        case .tcp: [.tcp]
        case .icmp: [.icmp]
        case .both, .auto: [.tcp, .icmp]
        }
    }

    /// Whether a run must fail when ICMP cannot be used.
    public var requiresICMP: Bool { self == .icmp || self == .both }
}
