

/// How a target is probed.
package enum ProbeKind: String, Hashable, Sendable, Codable, CaseIterable {
    /// TCP connect: the handshake's RTT.
    case tcp
    /// ICMP (or ICMPv6) echo.
    case icmp
}
