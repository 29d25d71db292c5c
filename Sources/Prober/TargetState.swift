

/// The overall state of a target after all its samples.
package enum TargetState: String, Hashable, Sendable, Codable {
    /// At least one handshake completed.
    case open
    /// At least one ICMP echo reply came back.
    case alive
    /// The host answered, but only with RST (port closed).
    case refused
    /// Every sample failed with an ICMP error or a routing failure (and none was answered).
    case unreachable
    /// No answer before the timeout (and no routing error).
    case timeout
    /// No answer before the early-answer cutoff: slower than a server already measured, so it cannot win.
    case pruned
    /// Local errors only.
    case error
    /// The host name did not resolve; nothing was sent.
    case unresolved
    /// Nothing could measure it: TCP alone, and no port is known (a provider that lists none):
    /// knocking on a guessed port would rank it `refused` for no reason.
    case unmeasurable
}
