/// The internet checksum (RFC 1071), in one place: ICMP here, and netsim's IP, TCP and ICMP packets.
package enum InternetChecksum {
    /// Adds the 16-bit big-endian words of `bytes` to a one's-complement running sum.
    package static func add(_ bytes: ArraySlice<UInt8>, to initial: UInt32) -> UInt32 {
        var sum = initial
        var index = bytes.startIndex
        while index + 1 < bytes.endIndex {
            sum &+= UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        if index < bytes.endIndex { sum &+= UInt32(bytes[index]) << 8 }
        return sum
    }

    /// Folds a running sum into the 16-bit checksum (0 when the data, checksum included, is intact).
    package static func fold(_ sum: UInt32) -> UInt16 {
        var sum = sum
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// The checksum of `bytes` alone.
    package static func of(_ bytes: ArraySlice<UInt8>) -> UInt16 { fold(add(bytes, to: 0)) }
}
