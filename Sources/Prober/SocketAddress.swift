#if canImport(Glibc)
import Glibc
#endif
import CProbe

/// An IPv4 or IPv6 socket address (address and port).
package struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    enum Storage: Sendable {
        case v4(sockaddr_in)
        case v6(sockaddr_in6)
    }

    var storage: Storage

    /// The address family.
    package enum Family: String, Sendable, Codable {
        /// IPv4.
        case inet = "ipv4"
        /// IPv6.
        case inet6 = "ipv6"
    }

    /// Parses a numeric IPv4 or IPv6 address (an IPv6 address may carry a `%scope`).
    /// Returns `nil` when `text` is not a numeric address; never does a DNS lookup.
    package init?(numericHost text: String, port: UInt16) {
        if text.isEmpty { return nil }
        var v4 = [UInt8](repeating: 0, count: 4)
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.init(bytes: v4, port: port)
            return
        }
        var v6 = [UInt8](repeating: 0, count: 16)
        if !text.utf8.contains(UInt8(ascii: "%")), inet_pton(AF_INET6, text, &v6) == 1 {
            self.init(bytes: v6, port: port)
            return
        }
        guard text.utf8.contains(UInt8(ascii: ":")) else { return nil }
        // Scoped IPv6 (fe80::1%eth0): AI_NUMERICHOST makes getaddrinfo parse without any lookup.
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST
        hints.ai_family = AF_INET6
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(text, nil, &hints, &list) == 0, let first = list else { return nil }
        defer { freeaddrinfo(list) }
        guard let parsed = SocketAddress(first.pointee) else { return nil }
        self = parsed.withPort(port)
    }

    /// An address from its 4 (IPv4) or 16 (IPv6) network-order bytes, as DNS carries it.
    package init?(bytes: [UInt8], port: UInt16) {
        switch bytes.count {
        case 4:
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin.sin_addr) { $0.copyBytes(from: bytes) }
            storage = .v4(sin)
        case 16:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyBytes(from: bytes) }
            storage = .v6(sin6)
        default:
            return nil
        }
    }

    /// Builds an address from one `getaddrinfo` result, if it is IPv4 or IPv6.
    init?(_ info: addrinfo) {
        guard let raw = info.ai_addr else { return nil }
        switch info.ai_family {
        case AF_INET:
            storage = .v4(UnsafeRawPointer(raw).loadUnaligned(as: sockaddr_in.self))
        case AF_INET6:
            storage = .v6(UnsafeRawPointer(raw).loadUnaligned(as: sockaddr_in6.self))
        default:
            return nil
        }
    }

    /// The address family.
    package var family: Family {
        switch storage {
        case .v4: .inet
        case .v6: .inet6
        }
    }

    /// The port, in host byte order.
    package var port: UInt16 {
        switch storage {
        case .v4(let sin): UInt16(bigEndian: sin.sin_port)
        case .v6(let sin6): UInt16(bigEndian: sin6.sin6_port)
        }
    }

    /// The same address with another port.
    package func withPort(_ port: UInt16) -> SocketAddress {
        var copy = self
        switch storage {
        case .v4(var sin):
            sin.sin_port = port.bigEndian
            copy.storage = .v4(sin)
        case .v6(var sin6):
            sin6.sin6_port = port.bigEndian
            copy.storage = .v6(sin6)
        }
        return copy
    }

    /// The numeric host part: `127.0.0.1`, `::1`, `fe80::1%2`.
    package var host: String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(INET6_ADDRSTRLEN) + 1) { buffer in
            guard let base = buffer.baseAddress else { return "" }
            switch storage {
            case .v4(var sin):
                inet_ntop(AF_INET, &sin.sin_addr, base, socklen_t(buffer.count))
                return String(cString: base)
            case .v6(var sin6):
                inet_ntop(AF_INET6, &sin6.sin6_addr, base, socklen_t(buffer.count))
                let text = String(cString: base)
                return sin6.sin6_scope_id == 0 ? text : "\(text)%\(sin6.sin6_scope_id)"
            }
        }
    }

    /// `127.0.0.1:443` or `[::1]:443`.
    package var description: String {
        switch storage {
        case .v4: "\(host):\(port)"
        case .v6: "[\(host)]:\(port)"
        }
    }

    /// The protocol family constant for `socket(2)`.
    var protocolFamily: Int32 {
        switch storage {
        case .v4: AF_INET
        case .v6: AF_INET6
        }
    }

    /// Calls `body` with a pointer to the `sockaddr` and its length.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch storage {
        case .v4(var sin):
            return withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6(var sin6):
            return withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

    /// Raw bytes of the address and port, for hashing and equality.
    private var key: [UInt8] {
        switch storage {
        case .v4(let sin):
            return withUnsafeBytes(of: sin.sin_addr) { Array($0) } + [UInt8(sin.sin_port & 0xff), UInt8(sin.sin_port >> 8)]
        case .v6(let sin6):
            return withUnsafeBytes(of: sin6.sin6_addr) { Array($0) }
                + [UInt8(sin6.sin6_port & 0xff), UInt8(sin6.sin6_port >> 8)]
                + withUnsafeBytes(of: sin6.sin6_scope_id) { Array($0) }
        }
    }

    /// Same family, address and port.
    package static func == (lhs: SocketAddress, rhs: SocketAddress) -> Bool { lhs.key == rhs.key }
    /// Hashes family, address and port.
    package func hash(into hasher: inout Hasher) { hasher.combine(key) }
}
