import Crypto
import FoundationEssentials

/// A fresh WireGuard key pair (Curve25519, base64 as wg-quick writes keys): throwaway keys for the
/// demo's hand-over.
package enum WireGuardKeyPair {
    /// A private key and its public key, base64.
    package static func generate() -> (privateKey: String, publicKey: String) {
        let key = Curve25519.KeyAgreement.PrivateKey()
        return (key.rawRepresentation.base64EncodedString(), key.publicKey.rawRepresentation.base64EncodedString())
    }
}
