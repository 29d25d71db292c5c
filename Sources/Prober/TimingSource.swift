

/// Where an RTT figure came from.
package enum TimingSource: String, Hashable, Sendable, Codable {
    /// The kernel's own measurement (`TCP_INFO` `tcpi_rtt`, or an `SO_TIMESTAMPNS` receive timestamp).
    case kernel
    /// `CLOCK_MONOTONIC` read around the system calls.
    case monotonic
}
