/// Makes reproducible worlds for tests and benchmarks: mixed RTTs (2 to 300 ms), jitter, loss,
/// ICMP-silent and rate-limited hosts, filtered and closed ports.
///
/// Every RTT is distinct, and the fastest host is always clean (no jitter, no loss, port 443
/// open, answers ping) and at least 1 ms ahead of the next (netsim's own wake-up tail on a
/// small VM is about a millisecond), so a world has one unambiguous best server.
public enum WorldGenerator {
    /// A world of `count` hosts, `ipv6` of them with IPv6 addresses, from `seed`; RTTs in
    /// `rtt` (ms, log-uniform), and the fastest host at `bestMs` when given.
    public static func generate(count: Int, seed: UInt64, ipv6: Int = 0, rtt: ClosedRange<Double> = 2...300, bestMs: Double? = nil) -> World {
        var random = SplitMix64(seed: seed ^ 0x6E65_7473_696D)  // "netsim"
        let count = max(0, min(count, 100_000))
        let v6 = max(0, min(ipv6, count))
        let rtts = distinctRTTs(count: count, random: &random, low: max(0.1, rtt.lowerBound), high: max(rtt.lowerBound + 1, rtt.upperBound))
        var hosts: [SimulatedHost] = []
        hosts.reserveCapacity(count)
        for index in 0..<count {
            let address: String
            if index < count - v6 {
                address = "198.18.\(1 + index / 250).\(1 + index % 250)"
            } else {
                let n = index - (count - v6) + 1
                address = "2001:db8::\(String(n / 65_536 + 1, radix: 16)):\(String(n % 65_536, radix: 16))"
            }
            var host = SimulatedHost(address: address, rttMs: rtts[index])
            let roll = random.nextDouble()
            if roll < 0.25 { host.jitterMs = (0.5 + random.nextDouble() * 14.5 * 10).rounded() / 10 }
            if random.nextDouble() < 0.15 { host.loss = [0.05, 0.1, 0.2, 0.33, 0.5, 1.0][Int(random.next() % 6)] }
            if random.nextDouble() < 0.10 { host.icmp = false }
            if random.nextDouble() < 0.05 { host.icmpRate = 50 }
            let ports = random.nextDouble()
            if ports < 0.07 {
                host.tcpOpen = []
                host.tcpFiltered = [443]  // a firewall: silence on 443
            } else if ports < 0.15 {
                host.tcpOpen = [22]  // 443 closed: RST
            } else if ports < 0.25 {
                host.tcpOpen = [443, 8443]
            }
            hosts.append(host)
        }
        let order = hosts.indices.sorted { hosts[$0].rttMs < hosts[$1].rttMs }
        if order.count >= 2, hosts[order[1]].rttMs - hosts[order[0]].rttMs < 1 {
            hosts[order[0]].rttMs = ((hosts[order[1]].rttMs - 1) * 1_000).rounded() / 1_000
        }
        if let fastest = order.first {
            if let bestMs, bestMs > 0 { hosts[fastest].rttMs = min(bestMs, hosts[fastest].rttMs) }
            hosts[fastest].jitterMs = 0
            hosts[fastest].loss = 0
            hosts[fastest].icmp = true
            hosts[fastest].icmpRate = 0
            hosts[fastest].tcpOpen = [443]
            hosts[fastest].tcpFiltered = []
        }
        return World(hosts: hosts)
    }

    /// `count` distinct RTTs, log-uniform between 2 and 300 ms, on a grid fine enough to keep them apart.
    static func distinctRTTs(count: Int, random: inout SplitMix64, low: Double = 2, high: Double = 300) -> [Double] {
        let step = min(0.25, (high - low) / Double(max(1, count * 2)))
        let slots = Int((high - low) / step)
        var taken = Set<Int>()
        var result: [Double] = []
        result.reserveCapacity(count)
        for _ in 0..<count {
            let value = exp(log(low) + random.nextDouble() * (log(high) - log(low)))
            var slot = Swift.min(slots - 1, Int((value - low) / step))
            var offset = 0
            while taken.contains(slot) {  // nearest free slot, alternating up and down
                offset += 1
                let candidate = slot + (offset % 2 == 1 ? (offset + 1) / 2 : -(offset / 2))
                if candidate >= 0, candidate < slots, !taken.contains(candidate) { slot = candidate; break }
            }
            taken.insert(slot)
            result.append(((low + Double(slot) * step) * 1_000).rounded() / 1_000)
        }
        return result
    }
}

#if canImport(Glibc)
import Glibc
#endif
