import Crypto
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
package import Prober

/// WireGuard's handshake as an initiator that never finishes it (Noise_IKpsk2, the WireGuard
/// whitepaper §5.4): each attempt is a new initiation (message type 1, 148 bytes) from a fresh
/// ephemeral key with a strictly newer TAI64N timestamp; the answer counts only when it is a
/// response (type 2, 92 bytes) to that initiation's sender index whose empty payload decrypts
/// with the keys derived from it, or a cookie reply (type 3) that decrypts with the server's
/// cookie key. No transport data is ever sent: the responder's session stays unconfirmed and
/// is never used.
package final class WireGuardInitiator: HandshakeConversation {
    static let construction = Array("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s".utf8)
    static let identifier = Array("WireGuard v1 zx2c4 Jason@zx2c4.com".utf8)
    static let labelMAC1 = Array("mac1----".utf8)
    static let labelCookie = Array("cookie--".utf8)

    private let staticKey: Curve25519.KeyAgreement.PrivateKey
    private let staticPublic: [UInt8]
    private let serverKey: Curve25519.KeyAgreement.PublicKey
    private let serverPublic: [UInt8]
    private let presharedKey: [UInt8]
    /// DH(static, server static): the same for every attempt, computed once.
    private let staticShared: [UInt8]
    private let mac1Key: [UInt8]
    private let cookieKey: [UInt8]
    /// The chain key and hash every initiation starts from.
    private let initialChain: [UInt8]
    private let initialHash: [UInt8]

    /// The attempt in flight.
    private var ephemeral: Curve25519.KeyAgreement.PrivateKey?
    private var senderIndex: UInt32 = 0
    private var chain: [UInt8] = []
    private var hash: [UInt8] = []
    private var lastMAC1: [UInt8] = []
    /// A cookie from a cookie reply, used for `mac2` by the next attempt (then dropped: it is
    /// good for two minutes, and samples are milliseconds apart).
    private var cookie: [UInt8]?
    /// The last TAI64N timestamp sent: every initiation's is strictly newer.
    private var lastTimestamp: [UInt8] = []

    package init(keys: WireGuardKeys) throws {
        staticKey = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: keys.privateKey)
        staticPublic = Array(staticKey.publicKey.rawRepresentation)
        serverKey = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: keys.serverPublicKey)
        serverPublic = keys.serverPublicKey
        presharedKey = keys.presharedKey ?? [UInt8](repeating: 0, count: 32)
        staticShared = try Self.dh(staticKey, serverKey)
        mac1Key = BLAKE2s.hash(Self.labelMAC1, serverPublic)
        cookieKey = BLAKE2s.hash(Self.labelCookie, serverPublic)
        initialChain = BLAKE2s.hash(Self.construction)
        initialHash = BLAKE2s.hash(BLAKE2s.hash(initialChain, Self.identifier), serverPublic)
    }

    /// This client's public key (to match against local interfaces).
    package var publicKey: [UInt8] { staticPublic }

    package func nextAttempt() -> [UInt8] {
        (try? initiation()) ?? []
    }

    func initiation() throws -> [UInt8] {
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        let ephemeralPublic = Array(ephemeral.publicKey.rawRepresentation)
        var random = SystemRandomNumberGenerator()
        senderIndex = random.next()
        var chain = initialChain
        var hash = initialHash
        chain = Self.kdf(chain, ephemeralPublic, count: 1)[0]
        hash = BLAKE2s.hash(hash, ephemeralPublic)
        var keys = Self.kdf(chain, try Self.dh(ephemeral, serverKey), count: 2)
        chain = keys[0]
        let encryptedStatic = try Self.aead(key: keys[1], staticPublic, ad: hash)
        hash = BLAKE2s.hash(hash, encryptedStatic)
        keys = Self.kdf(chain, staticShared, count: 2)
        chain = keys[0]
        let encryptedTimestamp = try Self.aead(key: keys[1], nextTimestamp(), ad: hash)
        hash = BLAKE2s.hash(hash, encryptedTimestamp)

        var message: [UInt8] = [1, 0, 0, 0]
        message += XChaCha20Poly1305.littleEndian(senderIndex)
        message += ephemeralPublic + encryptedStatic + encryptedTimestamp
        let mac1 = BLAKE2s.hash(message, outputLength: 16, key: mac1Key)
        message += mac1
        message += cookie.map { BLAKE2s.hash(message, outputLength: 16, key: $0) } ?? [UInt8](repeating: 0, count: 16)
        cookie = nil
        self.ephemeral = ephemeral
        self.chain = chain
        self.hash = hash
        lastMAC1 = mac1
        return message
    }

    package func check(_ packet: ArraySlice<UInt8>) -> HandshakeVerdict {
        let bytes = Array(packet)
        guard bytes.count >= 8, bytes[1] == 0, bytes[2] == 0, bytes[3] == 0 else { return .foreign }
        switch (bytes[0], bytes.count) {
        case (2, 92):
            guard Self.word(bytes, at: 8) == senderIndex, let ephemeral else { return .foreign }
            let responderEphemeral = Array(bytes[12..<44])
            guard let accepted = try? verifyResponse(ephemeral: ephemeral, responderEphemeral: responderEphemeral, sealed: bytes[44..<60]),
                  accepted
            else { return .foreign }
            self.ephemeral = nil  // one answer per attempt
            return .accepted
        case (3, 64):
            guard Self.word(bytes, at: 4) == senderIndex, self.ephemeral != nil,
                  let opened = try? XChaCha20Poly1305.open(bytes[32..<64], key: cookieKey, nonce: bytes[8..<32], authenticating: lastMAC1),
                  opened.count == 16
            else { return .foreign }
            cookie = opened
            self.ephemeral = nil
            return .cookie
        default:
            return .foreign
        }
    }

    private func verifyResponse(ephemeral: Curve25519.KeyAgreement.PrivateKey, responderEphemeral: [UInt8], sealed: ArraySlice<UInt8>) throws -> Bool {
        let remote = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: responderEphemeral)
        var chain = Self.kdf(self.chain, responderEphemeral, count: 1)[0]
        var hash = BLAKE2s.hash(self.hash, responderEphemeral)
        chain = Self.kdf(chain, try Self.dh(ephemeral, remote), count: 1)[0]
        chain = Self.kdf(chain, try Self.dh(staticKey, remote), count: 1)[0]
        let keys = Self.kdf(chain, presharedKey, count: 3)
        hash = BLAKE2s.hash(hash, keys[1])
        let box = try ChaChaPoly.SealedBox(nonce: ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)), ciphertext: [UInt8](), tag: sealed)
        return (try? ChaChaPoly.open(box, using: SymmetricKey(data: keys[2]), authenticating: hash)) != nil
    }

    /// TAI64N now, strictly after the last one sent.
    private func nextTimestamp() -> [UInt8] {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = UInt64(0x4000_0000_0000_000A) &+ UInt64(max(0, now.tv_sec))
        var nanoseconds = UInt32(max(0, now.tv_nsec))
        var stamp = Self.tai64n(seconds: seconds, nanoseconds: nanoseconds)
        if !lastTimestamp.isEmpty, !lastTimestamp.lexicographicallyPrecedes(stamp) {
            // A clock step back (or the same instant): one nanosecond after the last one.
            seconds = lastTimestamp[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
            nanoseconds = lastTimestamp[8..<12].reduce(0) { $0 << 8 | UInt32($1) } + 1
            if nanoseconds >= 1_000_000_000 { seconds += 1; nanoseconds = 0 }
            stamp = Self.tai64n(seconds: seconds, nanoseconds: nanoseconds)
        }
        lastTimestamp = stamp
        return stamp
    }

    static func tai64n(seconds: UInt64, nanoseconds: UInt32) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: seconds >> UInt64(56 - $0 * 8)) } + (0..<4).map { UInt8(truncatingIfNeeded: nanoseconds >> UInt32(24 - $0 * 8)) }
    }

    /// WireGuard's KDF_n: HKDF with HMAC-BLAKE2s.
    static func kdf(_ key: [UInt8], _ input: [UInt8], count: Int) -> [[UInt8]] {
        let secret = BLAKE2s.hmac(key: key, input)
        var outputs: [[UInt8]] = []
        var previous: [UInt8] = []
        for index in 1...count {
            previous = BLAKE2s.hmac(key: secret, previous + [UInt8(index)])
            outputs.append(previous)
        }
        return outputs
    }

    static func dh(_ key: Curve25519.KeyAgreement.PrivateKey, _ other: Curve25519.KeyAgreement.PublicKey) throws -> [UInt8] {
        let shared = try key.sharedSecretFromKeyAgreement(with: other)
        let bytes = shared.withUnsafeBytes { Array($0) }
        // An all-zero result (a low-order point) gives no secret: refuse it, as WireGuard does.
        guard bytes.contains(where: { $0 != 0 }) else { throw CryptoKitError.incorrectParameterSize }
        return bytes
    }

    /// ChaCha20-Poly1305 with counter 0 (nonce: 12 zero bytes): ciphertext ‖ tag.
    static func aead(key: [UInt8], _ plaintext: [UInt8], ad: [UInt8]) throws -> [UInt8] {
        let box = try ChaChaPoly.seal(plaintext, using: SymmetricKey(data: key), nonce: ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)), authenticating: ad)
        return Array(box.ciphertext) + Array(box.tag)
    }

    static func word(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }
}

extension WireGuardInitiator {
    static func publicKey(ofPrivate key: [UInt8]) -> [UInt8]? {
        (try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: key)).map { Array($0.publicKey.rawRepresentation) }
    }
}
