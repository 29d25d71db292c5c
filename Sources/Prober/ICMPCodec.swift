/// Building and parsing ICMP and ICMPv6 echo messages. Pure (bytes in, values out) and
/// separate from the socket code, so it is tested and fuzzed on its own: truncated, oversized
/// and garbage packets give `nil`, never a crash.
///
/// Every echo request carries a 16-byte token in its data: a random per-run cookie and the
/// probe's handle. A reply counts only if its token, identifier, sequence and source match.
package enum ICMPCodec {
    /// The data bytes after the 8-byte ICMP header (as `ping` sends: 56).
    package static let dataLength = 56
    /// Cookie (8 bytes) and handle (8 bytes) at the start of the data.
    package static let tokenLength = 16

    /// What a received packet turned out to be.
    package enum Message: Equatable {
        /// An echo reply, with the token from its data when present.
        case echoReply(identifier: UInt16, sequence: UInt16, cookie: UInt64?, handle: UInt64?)
        /// An ICMP error about one of our echo requests, sent to `originalDestination`.
        case error(ICMPError, identifier: UInt16, sequence: UInt16, cookie: UInt64?, handle: UInt64?, originalDestination: [UInt8]?)
    }

    /// An ICMP error's type and code, with a readable name.
    package struct ICMPError: Equatable, Sendable {
        package var v6: Bool
        package var type: UInt8
        package var code: UInt8

        package init(v6: Bool, type: UInt8, code: UInt8) {
            self.v6 = v6
            self.type = type
            self.code = code
        }

        /// `host-unreachable (ICMP 3/1)`, `ttl-exceeded (ICMPv6 3/0)`.
        package var name: String {
            let text: String
            if v6 {
                switch (type, code) {
                case (1, 0): text = "no-route"
                case (1, 1): text = "admin-prohibited"
                case (1, 3): text = "address-unreachable"
                case (1, 4): text = "port-unreachable"
                case (1, _): text = "unreachable"
                case (3, _): text = "hop-limit-exceeded"
                default: text = "icmp-error"
                }
            } else {
                switch (type, code) {
                case (3, 0): text = "net-unreachable"
                case (3, 1): text = "host-unreachable"
                case (3, 2): text = "protocol-unreachable"
                case (3, 3): text = "port-unreachable"
                case (3, 9), (3, 10), (3, 13): text = "admin-prohibited"
                case (3, _): text = "unreachable"
                case (11, _): text = "ttl-exceeded"
                default: text = "icmp-error"
                }
            }
            return "\(text) (ICMP\(v6 ? "v6" : "") \(type)/\(code))"
        }
    }

    /// An echo request: 8-byte header and 56 bytes of data that start with the token.
    /// The IPv4 checksum is filled in; for ICMPv6 the kernel fills it in (it covers a pseudo-header).
    package static func echoRequest(v6: Bool, identifier: UInt16, sequence: UInt16, cookie: UInt64, handle: UInt64) -> [UInt8] {
        var message = [UInt8](repeating: 0, count: 8 + dataLength)
        message[0] = v6 ? 128 : 8
        put16(&message, 4, identifier)
        put16(&message, 6, sequence)
        put64(&message, 8, cookie)
        put64(&message, 16, handle)
        for index in (8 + tokenLength)..<message.count { message[index] = UInt8(truncatingIfNeeded: index) }
        if !v6 { put16(&message, 2, checksum(message[...])) }
        return message
    }

    /// Parses what an ICMP socket returned.
    /// - `v6`: an ICMPv6 socket (no IPv6 header is ever included).
    /// - `includesIPHeader`: a raw IPv4 socket, whose packets start with the IPv4 header.
    /// - `verifyChecksum`: check the ICMPv4 checksum (raw sockets can see corrupt packets).
    package static func parse(_ bytes: ArraySlice<UInt8>, v6: Bool, includesIPHeader: Bool, verifyChecksum: Bool = true) -> Message? {
        var message = bytes
        if includesIPHeader && !v6 {
            guard let first = bytes.first, first >> 4 == 4 else { return nil }
            let headerLength = Int(first & 0x0f) * 4
            guard headerLength >= 20, bytes.count >= headerLength + 8 else { return nil }
            let total = Int(bytes[bytes.startIndex + 2]) << 8 | Int(bytes[bytes.startIndex + 3])
            guard total >= headerLength + 8, total <= bytes.count else { return nil }
            message = bytes[(bytes.startIndex + headerLength)..<(bytes.startIndex + total)]
        }
        guard message.count >= 8 else { return nil }
        if !v6, verifyChecksum, checksum(message) != 0 { return nil }
        let base = message.startIndex
        let type = message[base], code = message[base + 1]
        let echoReply: UInt8 = v6 ? 129 : 0
        if type == echoReply {
            guard code == 0 else { return nil }
            let (cookie, handle) = token(message, dataAt: base + 8)
            return .echoReply(identifier: read16(message, base + 4), sequence: read16(message, base + 6), cookie: cookie, handle: handle)
        }
        let isError = v6 ? (type == 1 || type == 3) : (type == 3 || type == 11)
        guard isError else { return nil }
        // The error quotes the offending packet: its IP header, then our echo request.
        let quoted = message[(base + 8)...]
        var original: ArraySlice<UInt8>
        var destination: [UInt8]
        if v6 {
            guard quoted.count >= 40 + 8, quoted[quoted.startIndex] >> 4 == 6, quoted[quoted.startIndex + 6] == 58 else { return nil }
            destination = Array(quoted[(quoted.startIndex + 24)..<(quoted.startIndex + 40)])
            original = quoted[(quoted.startIndex + 40)...]
        } else {
            guard let first = quoted.first, first >> 4 == 4 else { return nil }
            let headerLength = Int(first & 0x0f) * 4
            guard headerLength >= 20, quoted.count >= headerLength + 8, quoted[quoted.startIndex + 9] == 1 else { return nil }
            destination = Array(quoted[(quoted.startIndex + 16)..<(quoted.startIndex + 20)])
            original = quoted[(quoted.startIndex + headerLength)...]
        }
        guard original[original.startIndex] == (v6 ? 128 : 8) else { return nil }  // it was an echo request
        let (cookie, handle) = token(original, dataAt: original.startIndex + 8)
        return .error(ICMPError(v6: v6, type: type, code: code), identifier: read16(original, original.startIndex + 4),
                      sequence: read16(original, original.startIndex + 6), cookie: cookie, handle: handle,
                      originalDestination: destination)
    }

    /// Parses the echo request a ping socket's error queue returns (our own message, quoted),
    /// for the error in its `sock_extended_err`.
    package static func parseQueuedError(_ bytes: ArraySlice<UInt8>, error: ICMPError) -> Message? {
        guard bytes.count >= 8, bytes[bytes.startIndex] == (error.v6 ? 128 : 8) else { return nil }
        let base = bytes.startIndex
        let (cookie, handle) = token(bytes, dataAt: base + 8)
        return .error(error, identifier: read16(bytes, base + 4), sequence: read16(bytes, base + 6), cookie: cookie,
                      handle: handle, originalDestination: nil)
    }

    /// The one's-complement checksum of `bytes` (0 when a message with its checksum is intact).
    package static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt16 { InternetChecksum.of(bytes) }

    private static func token(_ bytes: ArraySlice<UInt8>, dataAt offset: Int) -> (UInt64?, UInt64?) {
        guard offset + tokenLength <= bytes.endIndex else { return (nil, nil) }
        return (read64(bytes, offset), read64(bytes, offset + 8))
    }

    static func read16(_ bytes: ArraySlice<UInt8>, _ index: Int) -> UInt16 {
        UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
    }

    static func read64(_ bytes: ArraySlice<UInt8>, _ index: Int) -> UInt64 {
        var value: UInt64 = 0
        for offset in 0..<8 { value = value << 8 | UInt64(bytes[index + offset]) }
        return value
    }

    static func put16(_ bytes: inout [UInt8], _ index: Int, _ value: UInt16) {
        bytes[index] = UInt8(value >> 8)
        bytes[index + 1] = UInt8(value & 0xff)
    }

    static func put64(_ bytes: inout [UInt8], _ index: Int, _ value: UInt64) {
        for offset in 0..<8 { bytes[index + offset] = UInt8((value >> (56 - 8 * UInt64(offset))) & 0xff) }
    }
}
