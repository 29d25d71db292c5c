/// How servers are probed.
public enum ProbeMethod: String, Hashable, Sendable, Codable, CaseIterable {
    /// TCP connect to the server's port (the handshake RTT).
    case tcp
}
