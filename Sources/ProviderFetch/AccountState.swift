import SafeText
/// A provider account's state: expiry, traffic, suspension. A provider whose account is expired,
/// suspended or out of traffic is left out of the ranking with that reason.
public struct AccountState: Hashable, Sendable, Codable {
    /// `active`, `suspended`, `inactive`, `expired`.
    public var status: String
    /// When it expires or the next payment is due, as the provider writes it.
    public var expiresAt: String?
    /// Traffic left ("100 G").
    public var remainingTraffic: String?
    /// Traffic in all.
    public var totalTraffic: String?
    /// Traffic used.
    public var usedTraffic: String?
    /// Devices online of those allowed ("0/2").
    public var onlineDevices: String?
    /// Whether the account is suspended.
    public var suspended: Bool
    /// Why, when the provider says.
    public var suspendReason: String?
    /// Whether no traffic is left.
    public var outOfTraffic: Bool

    /// An account state.
    public init(
        status: String, expiresAt: String? = nil, remainingTraffic: String? = nil, totalTraffic: String? = nil,
        usedTraffic: String? = nil, onlineDevices: String? = nil, suspended: Bool = false, suspendReason: String? = nil,
        outOfTraffic: Bool = false
    ) {
        self.status = status
        self.expiresAt = expiresAt
        self.remainingTraffic = remainingTraffic
        self.totalTraffic = totalTraffic
        self.usedTraffic = usedTraffic
        self.onlineDevices = onlineDevices
        self.suspended = suspended
        self.suspendReason = suspendReason
        self.outOfTraffic = outOfTraffic
    }

    /// Why servers of this account cannot be used, or `nil` when they can.
    public var exclusionReason: String? {
        if suspended { return "account suspended" + (suspendReason.map { ": \($0)" } ?? "") }
        if status == "expired" { return "account expired" }
        if status == "inactive" { return "no active service" }
        if status == "no-service" { return "no service on the account" }
        if outOfTraffic { return "no traffic left" }
        return nil
    }

    /// What is worth saying about a usable account: every device slot taken (`device limit
    /// reached: 2/2`; kept, since the client may replace its own session).
    public var note: String? {
        guard let online = onlineDevices else { return nil }
        let parts = online.split(separator: "/").map { Int($0.trimmingSpaces()) }
        guard parts.count == 2, let used = parts[0], let limit = parts[1], limit > 0, used >= limit else { return nil }
        return "device limit reached: \(used)/\(limit) (a new connection may replace a session of yours)"
    }

    /// "0 B", "0", "0.00 GB" are zero; anything else is not.
    static func trafficIsZero(_ text: String) -> Bool {
        let number = text.prefix { $0.isNumber || $0 == "." }
        return Double(number).map { $0 == 0 } ?? false
    }
}
