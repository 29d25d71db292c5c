/// Which address of a host name is probed (`--family`).
public enum AddressFamilyChoice: String, Sendable, Hashable, Codable, CaseIterable {
    /// The address the system's resolver orders first (RFC 6724: IPv6 where it is routable).
    case any
    /// IPv4 only.
    case ipv4 = "4"
    /// IPv6 only.
    case ipv6 = "6"
    /// One address of each family, ranked as separate entries.
    case both

    /// Whether names are asked for IPv4 and IPv6 addresses.
    var asksIPv4: Bool { self != .ipv6 }
    var asksIPv6: Bool { self != .ipv4 }
}
