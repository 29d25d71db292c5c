/// How a target is probed.
package enum ProbeKind: String, Hashable, Sendable, Codable, CaseIterable {
    /// TCP connect: the handshake's RTT.
    case tcp
    /// ICMP (or ICMPv6) echo.
    case icmp
    /// A WireGuard handshake initiation, timed to its verified response.
    case wireguard
    /// An OpenVPN control-channel reset, timed to the server's reset.
    case openvpn

    /// Whether it speaks the service's own protocol (needs the server's material).
    package var isHandshake: Bool { self == .wireguard || self == .openvpn }
}
