package import ProviderFetch

/// Every configured provider's answer at once (``ProbeClient/fetchProviders()``): the servers to
/// rank, each provider's outcome (servers, account, error), the errors to report and the
/// configuration's warnings.
package struct ProviderListing: Sendable {
    /// The servers of every provider that answered (those of unusable accounts left out).
    package var servers: [Server]
    /// Each provider's outcome, in configuration order.
    package var outcomes: [ProviderOutcome]
    /// One per failed provider, or left-out account, or server entry that could not be used.
    package var errors: [ReportError]
    /// The configuration's warnings (secrets readable by others, plain http) and account notes.
    package var warnings: [String]
    /// The configuration's custom labels.
    package var labels: [LabelRule]

    /// A listing.
    package init(servers: [Server], outcomes: [ProviderOutcome], errors: [ReportError], warnings: [String], labels: [LabelRule] = []) {
        self.servers = servers
        self.outcomes = outcomes
        self.errors = errors
        self.warnings = warnings
        self.labels = labels
    }
}
