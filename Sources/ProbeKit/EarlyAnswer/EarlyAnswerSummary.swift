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

    enum CodingKeys: String, CodingKey {
        case firstRoundMs = "first_round_ms", finalRoundMs = "final_round_ms", cutoffMs = "cutoff_ms", finalists, pruned, probes
    }
}
