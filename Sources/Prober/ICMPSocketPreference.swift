#if canImport(Glibc)
import Glibc
#endif
import CProbe

/// Which kind of ICMP socket to use.
public enum ICMPSocketPreference: String, Hashable, Sendable, Codable, CaseIterable {
    /// An unprivileged ping socket if `net.ipv4.ping_group_range` allows it, else a raw socket.
    case auto
    /// Only an unprivileged ping socket (`SOCK_DGRAM`, `IPPROTO_ICMP`).
    case ping
    /// Only a raw socket (needs root or `CAP_NET_RAW`).
    case raw
}
