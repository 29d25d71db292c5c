/// A target's VPN service as its own handshake reaches it: the port and the keys (in memory only),
/// or why the handshake must not run for it.
package struct HandshakeService: Hashable, Sendable, CustomStringConvertible {
    /// The service's port (UDP for WireGuard; UDP or TCP for OpenVPN, as its material says).
    package var port: UInt16
    /// The keys.
    package var material: HandshakeMaterial
    /// Why no handshake runs for this target although its keys are known (a local WireGuard
    /// interface holds the same private key), or `nil`.
    package var refusal: String?

    package init(port: UInt16, material: HandshakeMaterial, refusal: String? = nil) {
        self.port = port
        self.material = material
        self.refusal = refusal
    }

    /// The probe kind that speaks it.
    package var kind: ProbeKind { material.kind }

    /// Whether it is spoken over TCP (OpenVPN `proto tcp`); else UDP.
    package var overTCP: Bool {
        if case .openvpn(let control) = material { return control.transport == .tcp }
        return false
    }

    package var description: String { "\(kind.rawValue) on port \(port)" }
}
