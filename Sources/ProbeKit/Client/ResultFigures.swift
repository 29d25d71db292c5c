import Prober

/// A result's figures, computed once (statistics sort the samples; addresses are formatted).
struct ResultFigures {
    let result: TargetResult
    let primary: Measurement?
    let state: TargetState
    let rtt: RTTStatistics?
    let loss: Double
    let addressText: String?

    init(_ result: TargetResult, preferICMP: Bool = false) {
        self.result = result
        // Behind a middlebox the handshake says nothing: rank on ICMP where it answered, and a server
        // whose ping was pruned by the early answer is known to be slower than the cutoff, whatever its TCP says.
        let useICMP = preferICMP && (result.icmp?.reachable == true || result.icmp?.state == .pruned)
        primary = useICMP ? result.icmp : result.primary
        state = result.state
        rtt = primary?.rtt
        loss = primary?.loss ?? 1
        addressText = result.address?.host
    }
}
