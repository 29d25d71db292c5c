import Crypto
import SafeText
import CryptoExtras
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
package import Prober

/// OpenVPN's first control packet and nothing after it: `P_CONTROL_HARD_RESET_CLIENT_V2` with a
/// random session id, answered by `P_CONTROL_HARD_RESET_SERVER_V2` that acknowledges it (its
/// remote session id is ours). With `tls-auth` the packet carries the HMAC, packet id and time
/// OpenVPN expects (`ssl_pkt.c`, `swap_hmac`); with `tls-crypt` it is encrypted and authenticated
/// as `tls_crypt_wrap` does (HMAC-SHA256 over header and plaintext, AES-256-CTR with the tag's
/// first 16 bytes as IV). The server's answer is checked the same way with the other direction's
/// key. No TLS, no credentials: the probe stops at the reset.
package final class OpenVPNReset: HandshakeConversation {
    static let clientReset: UInt8 = 7 << 3  // P_CONTROL_HARD_RESET_CLIENT_V2, key id 0
    static let serverReset: UInt8 = 8

    enum Digest: String {
        case md5, sha1, sha224, sha256, sha384, sha512
        var length: Int {
            switch self {
            case .md5: 16
            case .sha1: 20
            case .sha224: 28
            case .sha256: 32
            case .sha384: 48
            case .sha512: 64
            }
        }
        func mac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
            let key = SymmetricKey(data: key)
            switch self {
            case .md5: return Array(HMAC<Insecure.MD5>.authenticationCode(for: data, using: key))
            case .sha1: return Array(HMAC<Insecure.SHA1>.authenticationCode(for: data, using: key))
            case .sha224: return []  // not offered by swift-crypto: refused in init
            case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: data, using: key))
            case .sha384: return Array(HMAC<SHA384>.authenticationCode(for: data, using: key))
            case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: data, using: key))
            }
        }
    }

    enum Mode {
        case plain
        case tlsAuth(digest: Digest, outKey: [UInt8], inKey: [UInt8])
        case tlsCrypt(outCipher: [UInt8], outHMAC: [UInt8], inCipher: [UInt8], inHMAC: [UInt8])
    }

    private let mode: Mode
    private var sessionID: [UInt8] = []
    private var packetID: UInt32 = 0

    /// A conversation for `control`, or the reason it cannot be spoken.
    package init(control: OpenVPNControl) throws(HandshakeUnsupported) {
        switch control.protection {
        case .none:
            mode = .plain
        case .tlsCryptV2:
            throw HandshakeUnsupported("tls-crypt-v2 is not supported yet")
        case .tlsAuth(let key, let direction, let digestName):
            let name = digestName.lowercased().replacingAll("-", with: "")
            guard let digest = Digest(rawValue: name), digest != .sha224 else {
                throw HandshakeUnsupported("tls-auth with auth \(digestName) is not supported")
            }
            guard key.count == 256 else { throw HandshakeUnsupported("the tls-auth key is not a 2048-bit OpenVPN static key") }
            // key-direction 0: out 0, in 1; 1: out 1, in 0; none: both 0 (OpenVPN's key_direction_state_init).
            let (outIndex, inIndex) = direction == 0 ? (0, 1) : direction == 1 ? (1, 0) : (0, 0)
            func hmacKey(_ index: Int) -> [UInt8] { Array(key[(index * 128 + 64)..<(index * 128 + 64 + digest.length)]) }
            mode = .tlsAuth(digest: digest, outKey: hmacKey(outIndex), inKey: hmacKey(inIndex))
        case .tlsCrypt(let key):
            guard key.count == 256 else { throw HandshakeUnsupported("the tls-crypt key is not a 2048-bit OpenVPN static key") }
            // A client uses the inverse direction: it sends with key 1 and reads with key 0.
            mode = .tlsCrypt(outCipher: Array(key[128..<160]), outHMAC: Array(key[192..<224]),
                             inCipher: Array(key[0..<32]), inHMAC: Array(key[64..<96]))
        }
    }

    package func nextAttempt() -> [UInt8] {
        var random = SystemRandomNumberGenerator()
        sessionID = (0..<8).map { _ in UInt8.random(in: 0...255, using: &random) }
        packetID &+= 1
        // ack array length 0, message packet id 0, no payload.
        let rest: [UInt8] = [0, 0, 0, 0, 0]
        let header = [Self.clientReset] + sessionID
        switch mode {
        case .plain:
            return header + rest
        case .tlsAuth(let digest, let outKey, _):
            let replay = Self.bigEndian(packetID) + Self.bigEndian(Self.now())
            let hmac = digest.mac(key: outKey, replay + header + rest)
            return header + hmac + replay + rest
        case .tlsCrypt(let outCipher, let outHMAC, _, _):
            let replay = Self.bigEndian(packetID) + Self.bigEndian(Self.now())
            let tag = Array(HMAC<SHA256>.authenticationCode(for: header + replay + rest, using: SymmetricKey(data: outHMAC)))
            guard let encrypted = try? Self.ctr(rest, key: outCipher, iv: tag.prefix(16)) else { return [] }
            return header + replay + tag + encrypted
        }
    }

    package func check(_ packet: ArraySlice<UInt8>) -> HandshakeVerdict {
        let bytes = Array(packet)
        guard bytes.count >= 9, bytes[0] >> 3 == Self.serverReset, !sessionID.isEmpty else { return .foreign }
        let header = Array(bytes[0..<9])
        var rest: ArraySlice<UInt8>
        switch mode {
        case .plain:
            rest = bytes[9...]
        case .tlsAuth(let digest, _, let inKey):
            let length = digest.length
            guard bytes.count >= 9 + length + 8 else { return .foreign }
            let hmac = Array(bytes[9..<(9 + length)])
            let replay = Array(bytes[(9 + length)..<(17 + length)])
            rest = bytes[(17 + length)...]
            guard Self.constantTimeEqual(digest.mac(key: inKey, replay + header + Array(rest)), hmac) else { return .foreign }
        case .tlsCrypt(_, _, let inCipher, let inHMAC):
            guard bytes.count >= 9 + 8 + 32 else { return .foreign }
            let replay = Array(bytes[9..<17])
            let tag = Array(bytes[17..<49])
            guard let plain = try? Self.ctr(Array(bytes[49...]), key: inCipher, iv: tag.prefix(16)) else { return .foreign }
            let expected = Array(HMAC<SHA256>.authenticationCode(for: header + replay + plain, using: SymmetricKey(data: inHMAC)))
            guard Self.constantTimeEqual(expected, tag) else { return .foreign }
            rest = ArraySlice(plain)
        }
        // The acknowledgement of our reset: at least one acked packet id, then our session id.
        guard let count = rest.first, count >= 1, rest.count >= 1 + Int(count) * 4 + 8 else { return .foreign }
        let remote = rest.dropFirst(1 + Int(count) * 4).prefix(8)
        guard Array(remote) == sessionID else { return .foreign }
        sessionID = []  // one answer per attempt
        return .accepted
    }

    static func ctr(_ data: [UInt8], key: [UInt8], iv: ArraySlice<UInt8>) throws -> [UInt8] {
        Array(try AES._CTR.encrypt(data, using: SymmetricKey(data: key), nonce: AES._CTR.Nonce(nonceBytes: iv)))
    }

    /// Seconds since the epoch: OpenVPN's `net_time`, part of the replay protection (a wall clock
    /// on purpose: the server compares it with its own).
    static func now() -> UInt32 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt32(truncatingIfNeeded: now.tv_sec)
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> UInt32(24 - $0 * 8)) } }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
