#if canImport(Glibc)
import Glibc
#endif
import CProbe

/// The kind of ICMP socket a run used.
public enum ICMPSocketKind: String, Hashable, Sendable, Codable {
    /// `SOCK_DGRAM` ping socket: the kernel sets the identifier and demultiplexes replies.
    case ping
    /// `SOCK_RAW`: sees every ICMP packet, so probe filters by identifier, sequence, source and cookie.
    case raw
}
