package import Prober

/// The handshake probes' cryptography (swift-crypto, and BLAKE2s written here), given to the
/// prober as its ``HandshakeCodec``.
package struct CryptoHandshakes: HandshakeCodec {
    package init() {}

    package func conversation(for material: HandshakeMaterial) -> Result<any HandshakeConversation, HandshakeUnsupported> {
        switch material {
        case .wireguard(let keys):
            guard let initiator = try? WireGuardInitiator(keys: keys) else {
                return .failure(HandshakeUnsupported("the WireGuard keys are not valid Curve25519 keys"))
            }
            return .success(initiator)
        case .openvpn(let control):
            do {
                return .success(try OpenVPNReset(control: control))
            } catch {
                return .failure(error)
            }
        }
    }

    /// The public key of a WireGuard private key (to find a local interface holding it).
    package static func publicKey(ofPrivate key: [UInt8]) -> [UInt8]? {
        WireGuardInitiator.publicKey(ofPrivate: key)
    }
}
