#if canImport(Glibc)
import Glibc
#endif
import CProbe
package import ProbeSystem

/// No ICMP socket could be opened, with the exact fix.
package struct ICMPUnavailableError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The address family that failed.
    package var family: SocketAddress.Family
    /// Why, and what would fix it.
    package var description: String
}

/// One ICMP socket per address family for a whole run (as fping does), non-blocking, with
/// kernel receive timestamps and the error queue on.
package struct ICMPSocket {
    package let fd: Int32
    package let v6: Bool
    package let kind: ICMPSocketKind

    /// Opens the socket for `family`, trying a ping socket first unless told otherwise.
    package static func open(family: SocketAddress.Family, preference: ICMPSocketPreference) throws(ICMPUnavailableError) -> ICMPSocket {
        let v6 = family == .inet6
        let domain = v6 ? AF_INET6 : AF_INET
        let proto = v6 ? Int32(IPPROTO_ICMPV6) : Int32(IPPROTO_ICMP)
        var pingError: Errno?
        var rawError: Errno?
        if preference != .raw {
            do {
                let fd = try Syscall.socket(family: domain, type: Int32(SOCK_DGRAM.rawValue), protocol: proto)
                return try configured(fd, v6: v6, kind: .ping)
            } catch {
                pingError = error
            }
        }
        if preference != .ping {
            do {
                let fd = try Syscall.socket(family: domain, type: Int32(SOCK_RAW.rawValue), protocol: proto)
                return try configured(fd, v6: v6, kind: .raw)
            } catch {
                rawError = error
            }
        }
        let which = v6 ? "ICMPv6" : "ICMP"
        if pingError == .addressFamilyNotSupported || rawError == .addressFamilyNotSupported {
            throw ICMPUnavailableError(family: family, description: "\(which) is unavailable: this machine has no \(v6 ? "IPv6" : "IPv4")")
        }
        if [pingError, rawError].contains(where: { $0 == .tooManyOpenFiles || $0 == .tooManyOpenFilesInSystem }) {
            let limit = FileDescriptorBudget.softLimit().map { " (ulimit -n is \($0))" } ?? ""
            throw ICMPUnavailableError(
                family: family,
                description: "\(which) socket: out of file descriptors, EMFILE\(limit): raise the limit ('ulimit -n 1024')")
        }
        var fixes: [String] = []
        if preference != .raw {
            fixes.append("allow ping sockets for your group with 'sudo sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"'")
        }
        if preference != .ping {
            fixes.append("give probe CAP_NET_RAW ('sudo setcap cap_net_raw+ep \(CommandLine.arguments.first ?? "probe")') or run it as root")
        }
        let reasons = [pingError.map { "ping socket: \($0.name)" }, rawError.map { "raw socket: \($0.name)" }].compactMap { $0 }
        throw ICMPUnavailableError(
            family: family,
            description: "\(which) needs a ping socket or a raw socket (\(reasons.joined(separator: ", "))): " + fixes.joined(separator: ", or "))
    }

    private static func configured(_ fd: Int32, v6: Bool, kind: ICMPSocketKind) throws(Errno) -> ICMPSocket {
        do {
            try Syscall.configureICMP(fd, v6: v6, raw: kind == .raw)
        } catch {
            Syscall.close(fd)
            throw error
        }
        return ICMPSocket(fd: fd, v6: v6, kind: kind)
    }

    /// Sends `message` to `address` (its port is ignored). Returns the errno on failure.
    package func send(_ message: [UInt8], to address: SocketAddress) -> Errno? {
        let result = message.withUnsafeBytes { Syscall.send(fd, $0, to: address.withPort(0)) }
        if case .failure(let error) = result { return error }
        return nil
    }

    package func close() { Syscall.close(fd) }
}
