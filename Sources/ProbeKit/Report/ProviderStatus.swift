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
    /// Entries of its list that were skipped or had a figure ignored (a bundle's bad file, a
    /// subscription's bad link), one line each; empty when there were none.
    public var problems: [String] = []

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
        problems = outcome.problems
    }

    enum CodingKeys: String, CodingKey {
        case name, up, servers, fetchMs = "fetch_ms", error, account, problems
    }

    /// Reads a status; `problems` may be missing (reports written before it).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        up = try container.decode(Bool.self, forKey: .up)
        servers = try container.decode(Int.self, forKey: .servers)
        fetchMs = try container.decode(Double.self, forKey: .fetchMs)
        error = try container.decodeIfPresent(String.self, forKey: .error)
        account = try container.decodeIfPresent(AccountState.self, forKey: .account)
        problems = try container.decodeIfPresent([String].self, forKey: .problems) ?? []
    }
}
