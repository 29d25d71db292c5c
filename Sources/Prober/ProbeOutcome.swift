

/// What one probe (a connect attempt or an echo request) ended with.
package enum ProbeOutcome: Hashable, Sendable {
    /// The handshake completed: the port is open.
    case open
    /// An ICMP echo reply came back.
    case reply
    /// The service answered its own handshake (a verified WireGuard response, an OpenVPN server
    /// reset acknowledging ours).
    case handshake
    /// A verified WireGuard cookie reply: the service is up and under load.
    case cookie
    /// The host answered with RST: it is up, the port is closed.
    case refused
    /// No answer before the timeout.
    case timeout
    /// Abandoned early: no answer by the time a faster server had made this one unable to win
    /// (the early answer of `probe --best`). Not a loss: the server is only known to be slower.
    case pruned
    /// An ICMP error (with its type and code) or a routing failure (EHOSTUNREACH, ENETUNREACH).
    case unreachable(errno: String)
    /// Any other failure, with the errno name (`EADDRNOTAVAIL`, ...).
    case error(errno: String)

    /// The outcome's name as reported: `open`, `reply`, `refused`, `timeout`, `pruned`, `unreachable`, `error`.
    package var name: String {
        switch self {
        case .open: "open"
        case .reply: "reply"
        case .handshake: "handshake"
        case .cookie: "cookie"
        case .refused: "refused"
        case .timeout: "timeout"
        case .pruned: "pruned"
        case .unreachable: "unreachable"
        case .error: "error"
        }
    }

    /// Whether the host answered (open, refused, an echo reply or the service's handshake), which gives an RTT sample.
    package var answered: Bool {
        switch self {
        case .open, .refused, .reply, .handshake, .cookie: true
        default: false
        }
    }
}
