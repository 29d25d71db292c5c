/// How late netsim's replies left, against their due time, and how much it served.
public struct LatenessStats: Hashable, Sendable, Codable {
    /// Packets read from the device.
    public var packetsReceived: Int
    /// Replies sent.
    public var packetsServed: Int
    /// Requests dropped by a host's loss.
    public var droppedByLoss: Int
    /// Echo requests dropped by a host's icmp_rate.
    public var droppedByRate: Int
    /// Requests dropped by the link's capacity (`link_pps`).
    public var droppedByLink: Int
    /// Median lateness in microseconds.
    public var p50Us: Double
    /// 99th-percentile lateness in microseconds.
    public var p99Us: Double
    /// Largest lateness in microseconds.
    public var maxUs: Double
    /// Seconds netsim served.
    public var durationSeconds: Double

    enum CodingKeys: String, CodingKey {
        case packetsReceived = "packets_received", packetsServed = "packets_served"
        case droppedByLoss = "dropped_by_loss", droppedByRate = "dropped_by_rate", droppedByLink = "dropped_by_link"
        case p50Us = "lateness_p50_us", p99Us = "lateness_p99_us", maxUs = "lateness_max_us"
        case durationSeconds = "duration_s"
    }

    /// Figures from the lateness of every reply (nanoseconds) and the responder's counters.
    public init(lateness: [UInt32], counters: Responder.Counters, durationSeconds: Double) {
        let sorted = lateness.sorted()
        func percentile(_ q: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let index = Swift.min(sorted.count - 1, Int((q * Double(sorted.count)).rounded(.up)) - 1)
            return Double(sorted[Swift.max(0, index)]) / 1_000
        }
        packetsReceived = counters.received
        packetsServed = lateness.count
        droppedByLoss = counters.droppedByLoss
        droppedByRate = counters.droppedByRate
        droppedByLink = counters.droppedByLink
        p50Us = percentile(0.5)
        p99Us = percentile(0.99)
        maxUs = Double(sorted.last ?? 0) / 1_000
        self.durationSeconds = durationSeconds
    }

    /// `netsim: served 1200 packets (1500 received, 300 dropped), lateness p50 12µs p99 80µs max 150µs`.
    public var summary: String {
        let dropped = droppedByLoss + droppedByRate + droppedByLink
        return "netsim: served \(packetsServed) packets (\(packetsReceived) received, \(dropped) dropped) in "
            + "\(format(durationSeconds)) s; lateness p50 \(format(p50Us)) µs, p99 \(format(p99Us)) µs, max \(format(maxUs)) µs"
    }

    private func format(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
