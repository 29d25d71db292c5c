public import ProviderFetch

/// A provider's part in a run (`providers` in the report; the Prometheus `probe_provider_*` metrics).
public struct ProviderStatus: Hashable, Sendable, Codable {
    /// The provider's name.
    public var name: String
    /// Whether its list was fetched.
    public var up: Bool
    /// Servers it listed.
    public var servers: Int
    /// How long the fetch took, in ms.
    public var fetchMs: Double
    /// Why it failed or was left out.
    public var error: String?
    /// The account as the provider reported it (status, expiry, traffic left, devices online),
    /// when it reports one: an orchestrator needs no second fetch for it.
    public var account: AccountState?

    /// A provider's status.
    public init(name: String, up: Bool, servers: Int, fetchMs: Double, error: String? = nil) {
        self.name = name
        self.up = up
        self.servers = servers
        self.fetchMs = fetchMs
        self.error = error
    }

    init(_ outcome: ProviderOutcome) {
        name = outcome.provider
        up = outcome.error == nil
        servers = outcome.servers.count
        fetchMs = ReportEntry.ms(outcome.milliseconds)
        error = outcome.error ?? outcome.exclusion.map { "left out: \($0)" }
        account = outcome.account
    }

    enum CodingKeys: String, CodingKey {
        case name, up, servers, fetchMs = "fetch_ms", error, account
    }
}
