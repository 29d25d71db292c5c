#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address as 16 bytes (IPv4 in the low four), usable as a dictionary key.
struct AddressKey: Hashable, Sendable {
    var high: UInt64
    var low: UInt64
    var isV4: Bool

    /// Parses a numeric address.
    init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.init(v4: withUnsafeBytes(of: v4) { Array($0) })
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self.init(v6: withUnsafeBytes(of: v6) { Array($0) })
            return
        }
        return nil
    }

    /// From four address bytes (network order).
    init(v4 bytes: some Collection<UInt8>) {
        var value: UInt64 = 0
        for byte in bytes.prefix(4) { value = value << 8 | UInt64(byte) }
        high = 0
        low = value
        isV4 = true
    }

    /// From sixteen address bytes (network order).
    init(v6 bytes: some Collection<UInt8>) {
        var high: UInt64 = 0, low: UInt64 = 0
        for (index, byte) in bytes.prefix(16).enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.high = high
        self.low = low
        isV4 = false
    }

    /// Inside 198.18.0.0/15 or 2001:db8::/32: the ranges the simulated network owns.
    var isInSimulatedRange: Bool {
        isV4 ? (low >> 17) == (0xC612_0000 >> 17) : (high >> 32) == 0x2001_0DB8
    }
}
