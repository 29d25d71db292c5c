/// The cryptography of the handshake probes, given to the prober from a target of its own (so the
/// prober itself depends on no package): builds each attempt's first packet and checks answers.
package protocol HandshakeCodec: Sendable {
    /// A conversation with one server, for all its samples (it keeps what carries over from one
    /// attempt to the next: a WireGuard cookie, the last timestamp sent), or why this material
    /// cannot be spoken.
    func conversation(for material: HandshakeMaterial) -> Result<any HandshakeConversation, HandshakeUnsupported>
}

/// Why a server's material cannot be used for a handshake probe.
package struct HandshakeUnsupported: Error, Hashable, Sendable {
    package var reason: String
    package init(_ reason: String) { self.reason = reason }
}

/// One server's handshake probes, one attempt at a time, on the reactor thread.
package protocol HandshakeConversation: AnyObject {
    /// The first packet of a new attempt, with every computation done (the send time is taken
    /// after this returns). Over TCP the caller adds the 2-byte length.
    func nextAttempt() -> [UInt8]
    /// What a packet received for the current attempt means (over TCP, one whole packet without
    /// its length). Verification runs after the receive time is taken.
    func check(_ packet: ArraySlice<UInt8>) -> HandshakeVerdict
}

/// What an answer to a handshake attempt is.
package enum HandshakeVerdict: Equatable, Sendable {
    /// The server's answer to this attempt, verified.
    case accepted
    /// A verified WireGuard cookie reply: the server is under load; the next attempt uses it.
    case cookie
    /// Not an answer to this attempt (another packet, a forgery): ignored.
    case foreign
}
