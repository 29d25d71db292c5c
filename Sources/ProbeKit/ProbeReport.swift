public import Prober

/// The result of one run: the best entry, every entry ranked, and what failed along the way.
/// This is `probe --json`'s output; its keys are a stable contract.
public struct ProbeReport: Hashable, Sendable, Codable {
    /// The best reachable entry, `nil` when nothing answered.
    public var best: ReportEntry?
    /// Every entry, best first.
    public var ranked: [ReportEntry]
    /// What failed without stopping the run.
    public var errors: [ReportError]
    /// Wall time of the whole run (monotonic clock), in milliseconds.
    public var elapsedMs: Double
    /// Figures about the sweep itself: probes started, peak sockets in flight, and so on.
    public var sweep: SweepSummary?

    /// A report.
    public init(best: ReportEntry?, ranked: [ReportEntry], errors: [ReportError], elapsedMs: Double, sweep: SweepSummary? = nil) {
        self.best = best
        self.ranked = ranked
        self.errors = errors
        self.elapsedMs = elapsedMs
        self.sweep = sweep
    }

    enum CodingKeys: String, CodingKey {
        case best, ranked, errors, elapsedMs = "elapsed_ms", sweep
    }

    /// Writes `best` as `null` when there is none.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(best, forKey: .best)
        try container.encode(ranked, forKey: .ranked)
        try container.encode(errors, forKey: .errors)
        try container.encode(elapsedMs, forKey: .elapsedMs)
        try container.encode(sweep, forKey: .sweep)
    }
}
