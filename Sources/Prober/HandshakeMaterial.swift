/// What a handshake probe needs to speak a server's own protocol: its keys, held in memory only.
///
/// Its description and reflection name the protocol and nothing else, so a target printed,
/// logged or dumped carries no key; it is never encoded (``ProbeTarget`` leaves it out).
package enum HandshakeMaterial: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// A WireGuard peer: this client's private key, the server's public key, the preshared key.
    case wireguard(WireGuardKeys)
    /// An OpenVPN server: how its control channel is reached and protected.
    case openvpn(OpenVPNControl)

    /// The probe kind that speaks it.
    package var kind: ProbeKind {
        switch self {
        case .wireguard: .wireguard
        case .openvpn: .openvpn
        }
    }

    package var description: String { "\(kind.rawValue) keys (withheld)" }
    package var debugDescription: String { description }
    package var customMirror: Mirror { Mirror(self, children: []) }
}

/// A WireGuard client's keys for one server (32 bytes each).
package struct WireGuardKeys: Hashable, Sendable {
    /// The client's static private key (`PrivateKey` of `[Interface]`).
    package var privateKey: [UInt8]
    /// The server's static public key (`PublicKey` of `[Peer]`).
    package var serverPublicKey: [UInt8]
    /// `PresharedKey` of `[Peer]`, when set.
    package var presharedKey: [UInt8]?

    /// Keys, or `nil` when one is not 32 bytes.
    package init?(privateKey: [UInt8], serverPublicKey: [UInt8], presharedKey: [UInt8]? = nil) {
        guard privateKey.count == 32, serverPublicKey.count == 32, presharedKey.map({ $0.count == 32 }) ?? true else { return nil }
        self.privateKey = privateKey
        self.serverPublicKey = serverPublicKey
        self.presharedKey = presharedKey
    }
}

/// An OpenVPN server's control channel as a client profile describes it.
package struct OpenVPNControl: Hashable, Sendable {
    /// `proto udp` or `proto tcp`.
    package enum Transport: String, Hashable, Sendable { case udp, tcp }
    /// How control packets are protected.
    package enum Protection: Hashable, Sendable {
        /// Plain: no `tls-auth` or `tls-crypt`.
        case none
        /// `tls-auth`: an HMAC (digest `auth`, default SHA1) with the static key's direction
        /// (`key-direction 0`, `1`, or `nil` for bidirectional use).
        case tlsAuth(key: [UInt8], direction: Int?, digest: String)
        /// `tls-crypt`: AES-256-CTR and HMAC-SHA256 with the static key.
        case tlsCrypt(key: [UInt8])
        /// `tls-crypt-v2`: named, not spoken yet.
        case tlsCryptV2
    }

    package var transport: Transport
    package var protection: Protection

    package init(transport: Transport, protection: Protection) {
        self.transport = transport
        self.protection = protection
    }
}
