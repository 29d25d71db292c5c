/// BLAKE2s (RFC 7693): the hash WireGuard's handshake is built on, which swift-crypto does not
/// offer. Written once here and checked against the RFC's test vectors (and, through the
/// handshake, against a real WireGuard server).
///
/// Sequential use only: `update` any number of times, then `finalize` once.
package struct BLAKE2s {
    private static let iv: [UInt32] = [
        0x6A09_E667, 0xBB67_AE85, 0x3C6E_F372, 0xA54F_F53A, 0x510E_527F, 0x9B05_688C, 0x1F83_D9AB, 0x5BE0_CD19,
    ]
    private static let sigma: [[Int]] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
        [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
        [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
        [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
        [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
        [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
        [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
        [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
        [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    ]

    private var h: [UInt32]
    private var buffer: [UInt8] = []
    private var counter: UInt64 = 0
    private let outputLength: Int

    /// A hash of `outputLength` bytes (1...32), keyed with `key` (0...32 bytes) when given.
    /// Out-of-range lengths are clamped (the callers here pass constants).
    package init(outputLength: Int = 32, key: [UInt8] = []) {
        self.outputLength = min(32, max(1, outputLength))
        let key = Array(key.prefix(32))
        h = Self.iv
        h[0] ^= 0x0101_0000 ^ (UInt32(key.count) << 8) ^ UInt32(self.outputLength)
        if !key.isEmpty {
            buffer = key + [UInt8](repeating: 0, count: 64 - key.count)
        }
        buffer.reserveCapacity(64)
    }

    /// Adds `data` to the hash.
    package mutating func update(_ data: some Collection<UInt8>) {
        for byte in data {
            if buffer.count == 64 {
                counter &+= 64
                compress(last: false)
                buffer.removeAll(keepingCapacity: true)
            }
            buffer.append(byte)
        }
    }

    /// The digest (`outputLength` bytes).
    package mutating func finalize() -> [UInt8] {
        counter &+= UInt64(buffer.count)
        buffer += [UInt8](repeating: 0, count: 64 - buffer.count)
        compress(last: true)
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for word in h {
            for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) }
        }
        return Array(out.prefix(outputLength))
    }

    /// One call: the `outputLength`-byte hash of the parts, in order, keyed with `key`.
    package static func hash(_ parts: [UInt8]..., outputLength: Int = 32, key: [UInt8] = []) -> [UInt8] {
        var hasher = BLAKE2s(outputLength: outputLength, key: key)
        for part in parts { hasher.update(part) }
        return hasher.finalize()
    }

    private mutating func compress(last: Bool) {
        var m = [UInt32](repeating: 0, count: 16)
        for index in 0..<16 {
            let base = index * 4
            m[index] = UInt32(buffer[base]) | UInt32(buffer[base + 1]) << 8 | UInt32(buffer[base + 2]) << 16 | UInt32(buffer[base + 3]) << 24
        }
        var v = h + Self.iv
        v[12] ^= UInt32(truncatingIfNeeded: counter)
        v[13] ^= UInt32(truncatingIfNeeded: counter >> 32)
        if last { v[14] = ~v[14] }
        func g(_ a: Int, _ b: Int, _ c: Int, _ d: Int, _ x: UInt32, _ y: UInt32) {
            v[a] = v[a] &+ v[b] &+ x
            v[d] = (v[d] ^ v[a]).rotatedRight(16)
            v[c] = v[c] &+ v[d]
            v[b] = (v[b] ^ v[c]).rotatedRight(12)
            v[a] = v[a] &+ v[b] &+ y
            v[d] = (v[d] ^ v[a]).rotatedRight(8)
            v[c] = v[c] &+ v[d]
            v[b] = (v[b] ^ v[c]).rotatedRight(7)
        }
        for round in 0..<10 {
            let s = Self.sigma[round]
            g(0, 4, 8, 12, m[s[0]], m[s[1]])
            g(1, 5, 9, 13, m[s[2]], m[s[3]])
            g(2, 6, 10, 14, m[s[4]], m[s[5]])
            g(3, 7, 11, 15, m[s[6]], m[s[7]])
            g(0, 5, 10, 15, m[s[8]], m[s[9]])
            g(1, 6, 11, 12, m[s[10]], m[s[11]])
            g(2, 7, 8, 13, m[s[12]], m[s[13]])
            g(3, 4, 9, 14, m[s[14]], m[s[15]])
        }
        for index in 0..<8 { h[index] ^= v[index] ^ v[index + 8] }
    }

    /// HMAC (RFC 2104) over BLAKE2s-256, block 64 bytes: WireGuard's `HMAC`.
    package static func hmac(key: [UInt8], _ parts: [UInt8]...) -> [UInt8] {
        var block = key.count > 64 ? hash(key) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        var inner = BLAKE2s()
        inner.update(block.map { $0 ^ 0x36 })
        for part in parts { inner.update(part) }
        let innerDigest = inner.finalize()
        var outer = BLAKE2s()
        outer.update(block.map { $0 ^ 0x5C })
        outer.update(innerDigest)
        return outer.finalize()
    }
}

extension UInt32 {
    @inline(__always)
    fileprivate func rotatedRight(_ count: UInt32) -> UInt32 { (self >> count) | (self << (32 - count)) }
}
