import Crypto
import CryptoExtras
import FoundationEssentials

/// XChaCha20-Poly1305 (WireGuard's cookie replies), from swift-crypto's ChaCha20 and ChaChaPoly:
/// HChaCha20 is the ChaCha20 block function without its final addition, so it is read off one
/// keystream block with that addition taken back out.
package enum XChaCha20Poly1305 {
    /// The subkey HChaCha20 derives from `key` and the first 16 bytes of the nonce.
    static func hChaCha20(key: [UInt8], nonce16: ArraySlice<UInt8>) throws -> [UInt8] {
        let nonce = Array(nonce16)
        let block = try Insecure.ChaCha20CTR.encrypt(
            [UInt8](repeating: 0, count: 64), using: SymmetricKey(data: key),
            counter: Insecure.ChaCha20CTR.Counter(data: nonce[0..<4]), nonce: Insecure.ChaCha20CTR.Nonce(data: nonce[4..<16]))
        let stream = Array(block)
        func word(_ bytes: [UInt8], _ index: Int) -> UInt32 {
            UInt32(bytes[index * 4]) | UInt32(bytes[index * 4 + 1]) << 8 | UInt32(bytes[index * 4 + 2]) << 16 | UInt32(bytes[index * 4 + 3]) << 24
        }
        let constants: [UInt32] = [0x6170_7865, 0x3320_646E, 0x7962_2D32, 0x6B20_6574]
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for index in 0..<4 { out += littleEndian(word(stream, index) &- constants[index]) }
        for index in 12..<16 { out += littleEndian(word(stream, index) &- word(nonce, index - 12)) }
        return out
    }

    /// Opens `ciphertext ‖ tag` sealed with `key` and the 24-byte `nonce`, authenticating `ad`.
    package static func open(_ sealed: ArraySlice<UInt8>, key: [UInt8], nonce: ArraySlice<UInt8>, authenticating ad: [UInt8]) throws -> [UInt8] {
        guard nonce.count == 24, sealed.count >= 16 else { throw CryptoKitError.incorrectParameterSize }
        let subkey = try hChaCha20(key: key, nonce16: nonce.prefix(16))
        let box = try ChaChaPoly.SealedBox(
            nonce: ChaChaPoly.Nonce(data: [0, 0, 0, 0] + nonce.suffix(8)), ciphertext: sealed.dropLast(16), tag: sealed.suffix(16))
        return Array(try ChaChaPoly.open(box, using: SymmetricKey(data: subkey), authenticating: ad))
    }

    /// Seals `plaintext` (`ciphertext ‖ tag`): what a WireGuard server does; for tests.
    package static func seal(_ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], authenticating ad: [UInt8]) throws -> [UInt8] {
        guard nonce.count == 24 else { throw CryptoKitError.incorrectParameterSize }
        let subkey = try hChaCha20(key: key, nonce16: nonce[0..<16])
        let box = try ChaChaPoly.seal(plaintext, using: SymmetricKey(data: subkey), nonce: ChaChaPoly.Nonce(data: [0, 0, 0, 0] + nonce[16..<24]), authenticating: ad)
        return Array(box.ciphertext) + Array(box.tag)
    }

    static func littleEndian(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> UInt32($0 * 8)) } }
}
