import Prober

/// The middlebox heuristic: a transparent proxy or firewall on the path completes every TCP
/// handshake itself, so remote servers all "answer" in under a millisecond, alike. When that is
/// seen, the handshake says nothing of the servers and the run ranks on ICMP instead (see
/// ``ResultFigures``). Pure: results in, a count out.
enum MiddleboxCheck {
    /// How many remote (non-loopback) servers answered TCP in under 1 ms, within 0.5 ms of each
    /// other, when they are at least five and most of those whose port was open; else `nil`.
    static func suspected(_ results: [TargetResult]) -> Int? {
        let remote = results.compactMap { result -> Double? in
            guard let address = result.address, !address.isLoopback, let tcp = result.tcp, tcp.state == .open else { return nil }
            return tcp.rtt?.median
        }
        let fast = remote.filter { $0 < 1 }
        guard fast.count >= 5, Double(fast.count) >= 0.8 * Double(remote.count),
              let low = fast.min(), let high = fast.max(), high - low < 0.5
        else { return nil }
        return fast.count
    }
}
