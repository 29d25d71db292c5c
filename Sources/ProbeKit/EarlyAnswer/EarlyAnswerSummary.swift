/// What the early answer did (`early` in the JSON report).
public struct EarlyAnswerSummary: Hashable, Sendable, Codable {
    /// Milliseconds the first round took (resolution included).
    public var firstRoundMs: Double
    /// Milliseconds the longest final-round measurement took (they overlap the first round and each other).
    public var finalRoundMs: Double
    /// The cutoff in force at the end of the first round, in ms (`nil`: nothing answered, so no cutoff).
    public var cutoffMs: Double?
    /// Servers measured with every sample in the final round.
    public var finalists: Int
    /// First-round probes abandoned at the cutoff.
    public var pruned: Int
    /// Probes sent over both rounds.
    public var probes: Int
    /// The cutoff's rule as this run applied it: `cutoff_factor × the best first answer +
    /// cutoff_margin_ms` (`nil` in a report written before these were carried).
    public var cutoffFactor: Double?
    /// See ``cutoffFactor``.
    public var cutoffMarginMs: Double?
    /// The per-probe timeout of a finalist that qualified on its first answer, in ms: the
    /// plan's `min(timeout, max(30, 3 × cutoff))` with this run's figures (`nil`: no cutoff).
    public var finalistTimeoutMs: Int?

    enum CodingKeys: String, CodingKey {
        case firstRoundMs = "first_round_ms", finalRoundMs = "final_round_ms", cutoffMs = "cutoff_ms", finalists, pruned, probes
        case cutoffFactor = "cutoff_factor", cutoffMarginMs = "cutoff_margin_ms", finalistTimeoutMs = "finalist_timeout_ms"
    }
}
