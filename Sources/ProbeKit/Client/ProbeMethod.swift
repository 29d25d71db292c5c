import Prober

/// How servers are probed.
public enum ProbeMethod: String, Hashable, Sendable, Codable, CaseIterable {
    /// TCP connect to the server's port (the handshake RTT).
    case tcp
    /// ICMP echo (ping).
    case icmp
    /// Both, reported side by side for every target; ICMP must be available.
    case both
    /// Each server by the best that can run: its VPN's own handshake where its keys are known
    /// (a WireGuard or OpenVPN server from a bundle or subscription), else TCP when the port is
    /// open, else ICMP. Without ICMP permission it goes on with TCP alone (the report says why).
    /// The default.
    case auto
    /// A WireGuard handshake initiation, timed to its verified response (servers with WireGuard keys).
    case wireguard
    /// An OpenVPN control-channel reset, timed to the server's reset (servers with an OpenVPN profile).
    case openvpn

    /// The probe kinds this method runs.
    package var kinds: Set<ProbeKind> {
        switch self {
        case .tcp: [.tcp]
        case .icmp: [.icmp]
        case .both: [.tcp, .icmp]
        case .auto: [.tcp, .icmp, .wireguard, .openvpn]
        case .wireguard: [.wireguard]
        case .openvpn: [.openvpn]
        }
    }

    /// Whether a run must fail when ICMP cannot be used.
    public var requiresICMP: Bool { self == .icmp || self == .both }
}
