import Crypto
import Foundation
@testable import HandshakeCrypto
import Prober
import Testing

/// The handshake probes' cryptography: BLAKE2s against RFC 7693, XChaCha20-Poly1305 against the
/// CFRG draft's vectors, and the WireGuard initiation's layout, cookie handling and refusal of
/// forged answers. (The handshakes themselves are checked against real servers in
/// HandshakeServerTests: wireguard-go and openvpn.)
@Suite struct HandshakeCryptoTests {
    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }

    @Test func blake2sMatchesRFC7693() {
        #expect(BLAKE2s.hash(Array("abc".utf8)) == Self.hex("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982"))
        // RFC 7693 Appendix E: the grand hash over every output length, input length and keyed/unkeyed use.
        func sequence(_ length: Int, seed: UInt32) -> [UInt8] {
            var a = 0xDEAD_4BAD &* seed, b: UInt32 = 1
            return (0..<length).map { _ in
                let t = a &+ b
                a = b
                b = t
                return UInt8(truncatingIfNeeded: t >> 24)
            }
        }
        var grand = BLAKE2s()
        for outputLength in [16, 20, 28, 32] {
            for inputLength in [0, 3, 64, 65, 255, 1_024] {
                let input = sequence(inputLength, seed: UInt32(inputLength))
                grand.update(BLAKE2s.hash(input, outputLength: outputLength))
                grand.update(BLAKE2s.hash(input, outputLength: outputLength, key: sequence(outputLength, seed: UInt32(outputLength))))
            }
        }
        #expect(grand.finalize() == Self.hex("6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe"))
    }

    @Test func xchachaMatchesTheDraftVectors() throws {
        // draft-irtf-cfrg-xchacha §2.2.1 and A.3.1.
        let subkey = try XChaCha20Poly1305.hChaCha20(key: Array(0..<32), nonce16: ArraySlice(Self.hex("000000090000004a0000000031415927")))
        #expect(subkey == Self.hex("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc"))
        let key = Self.hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
        let nonce = Self.hex("404142434445464748494a4b4c4d4e4f5051525354555657")
        let plaintext = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)
        let ad = Self.hex("50515253c0c1c2c3c4c5c6c7")
        let sealed = try XChaCha20Poly1305.seal(plaintext, key: key, nonce: nonce, authenticating: ad)
        #expect(Array(sealed.suffix(16)) == Self.hex("c0875924c1c7987947deafd8780acf49"))
        #expect(Array(sealed.prefix(8)) == Self.hex("bd6d179d3e83d43b"))
        #expect(try XChaCha20Poly1305.open(ArraySlice(sealed), key: key, nonce: ArraySlice(nonce), authenticating: ad) == plaintext)
        var tampered = sealed
        tampered[0] ^= 1
        #expect(throws: (any Error).self) { try XChaCha20Poly1305.open(ArraySlice(tampered), key: key, nonce: ArraySlice(nonce), authenticating: ad) }
    }

    static func keys(psk: Bool = false) throws -> (WireGuardKeys, server: Curve25519.KeyAgreement.PrivateKey) {
        let client = Curve25519.KeyAgreement.PrivateKey()
        let server = Curve25519.KeyAgreement.PrivateKey()
        let keys = try #require(WireGuardKeys(privateKey: Array(client.rawRepresentation), serverPublicKey: Array(server.publicKey.rawRepresentation),
                                              presharedKey: psk ? Array(repeating: 7, count: 32) : nil))
        return (keys, server)
    }

    @Test func initiationsAreFreshAndMACed() throws {
        let (keys, _) = try Self.keys()
        let initiator = try WireGuardInitiator(keys: keys)
        let first = initiator.nextAttempt()
        let second = initiator.nextAttempt()
        #expect(first.count == 148 && second.count == 148)
        #expect(Array(first[0..<4]) == [1, 0, 0, 0])
        // A new sender index and ephemeral key each time.
        #expect(first[4..<8] != second[4..<8] && first[8..<40] != second[8..<40])
        // mac1 is keyed BLAKE2s-128 of everything before it, with HASH("mac1----" ‖ server public key).
        let mac1Key = BLAKE2s.hash(Array("mac1----".utf8), keys.serverPublicKey)
        #expect(Array(first[116..<132]) == BLAKE2s.hash(Array(first[0..<116]), outputLength: 16, key: mac1Key))
        #expect(Array(first[132..<148]) == [UInt8](repeating: 0, count: 16))  // no cookie yet
    }

    @Test func aCookieReplyCountsAndTheNextAttemptUsesIt() throws {
        let (keys, _) = try Self.keys()
        let initiator = try WireGuardInitiator(keys: keys)
        let initiation = initiator.nextAttempt()
        let cookie: [UInt8] = (0..<16).map { UInt8($0 * 3) }
        let nonce: [UInt8] = (0..<24).map { UInt8(200 - $0) }
        let cookieKey = BLAKE2s.hash(Array("cookie--".utf8), keys.serverPublicKey)
        let sealed = try XChaCha20Poly1305.seal(cookie, key: cookieKey, nonce: nonce, authenticating: Array(initiation[116..<132]))
        let reply: [UInt8] = [3, 0, 0, 0] + Array(initiation[4..<8]) + nonce + sealed
        #expect(reply.count == 64)
        // Another initiation's index, or a cookie sealed under another key: not ours.
        var stray = reply
        stray[4] ^= 0xFF
        #expect(initiator.check(ArraySlice(stray)) == .foreign)
        #expect(initiator.check(ArraySlice(reply)) == .cookie)
        let retry = initiator.nextAttempt()
        #expect(Array(retry[132..<148]) == BLAKE2s.hash(Array(retry[0..<132]), outputLength: 16, key: cookie))
        // Used once: the attempt after has no mac2 again.
        #expect(Array(initiator.nextAttempt()[132..<148]) == [UInt8](repeating: 0, count: 16))
    }

    @Test func forgedOrStrayResponsesAreNeverCounted() throws {
        let (keys, _) = try Self.keys(psk: true)
        let initiator = try WireGuardInitiator(keys: keys)
        let initiation = initiator.nextAttempt()
        // A response to our index whose ephemeral and tag are made up: it does not decrypt.
        let fake = Curve25519.KeyAgreement.PrivateKey()
        let forged: [UInt8] = [2, 0, 0, 0] + [9, 9, 9, 9] + Array(initiation[4..<8]) + Array(fake.publicKey.rawRepresentation)
            + [UInt8](repeating: 0xAB, count: 16) + [UInt8](repeating: 0, count: 32)
        #expect(forged.count == 92)
        #expect(initiator.check(ArraySlice(forged)) == .foreign)
        #expect(initiator.check(ArraySlice(initiation)) == .foreign)  // our own packet reflected
        #expect(initiator.check([]) == .foreign)
        #expect(initiator.check(ArraySlice([UInt8](repeating: 2, count: 92))) == .foreign)
    }

    @Test func openVPNResetsCarryWhatTheServerChecks() throws {
        let key: [UInt8] = (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        // Plain: opcode 7 key id 0, an 8-byte session id, no acks, message packet id 0.
        let plain = try OpenVPNReset(control: OpenVPNControl(transport: .udp, protection: .none))
        let packet = plain.nextAttempt()
        #expect(packet.count == 14 && packet[0] == 0x38 && Array(packet[9...]) == [0, 0, 0, 0, 0])
        // The server's answer acknowledges our session id; another session id is not ours.
        let server: [UInt8] = [0x40] + Array(repeating: 5, count: 8) + [1, 0, 0, 0, 0] + Array(packet[1..<9]) + [0, 0, 0, 0]
        var other = server
        other[14] ^= 1
        #expect(plain.check(ArraySlice(other)) == .foreign)
        #expect(plain.check(ArraySlice(server)) == .accepted)
        // tls-auth SHA256, key-direction 1: the HMAC over pid ‖ time ‖ opcode ‖ session ‖ rest, with key 1's HMAC half.
        let auth = try OpenVPNReset(control: OpenVPNControl(transport: .udp, protection: .tlsAuth(key: key, direction: 1, digest: "SHA256")))
        let signed = auth.nextAttempt()
        #expect(signed.count == 1 + 8 + 32 + 8 + 5)
        let hmacKey = SymmetricKey(data: Array(key[192..<224]))
        let expected = HMAC<SHA256>.authenticationCode(for: Array(signed[41..<49]) + Array(signed[0..<9]) + Array(signed[49...]), using: hmacKey)
        #expect(Array(signed[9..<41]) == Array(expected))
        #expect(Array(signed[41..<45]) == [0, 0, 0, 1])  // packet id 1
        // Unsupported material is named.
        #expect(throws: HandshakeUnsupported.self) { try OpenVPNReset(control: OpenVPNControl(transport: .udp, protection: .tlsCryptV2)) }
        #expect(throws: HandshakeUnsupported.self) {
            try OpenVPNReset(control: OpenVPNControl(transport: .udp, protection: .tlsAuth(key: key, direction: nil, digest: "whirlpool")))
        }
    }
}
