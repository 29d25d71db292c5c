public import Prober
package import Ranking
import ProviderFetch

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
    /// The sticky decision across runs, when stickiness is on.
    public var sticky: Sticky?
    /// Things worth knowing about the run (a middlebox answering handshakes, ...), one line each.
    public var notes: [String] = []
    /// How the early answer went (`probe --best` without `--full`), when it ran.
    public var early: EarlyAnswerSummary?
    /// Each configured provider's part: fetched or not, servers, fetch time (empty without providers).
    public var providers: [ProviderStatus] = []
    /// How long the run's phases took.
    public var durations: RunDurations?
    /// The sticky decision of the ranking step, for the state file (not encoded).
    package var stickyDecision: StickyDecision?
    /// The connection to the chosen server (`best(connect:)`, `--connect`): its manifest, never the material.
    public var connection: Connection?

    /// Whether `best` is the previous choice kept, or a switch, and why.
    public struct Sticky: Hashable, Sendable, Codable {
        /// The id chosen.
        public var choice: String?
        /// Whether it changed.
        public var switched: Bool
        /// Why, in one line.
        public var reason: String
    }

    /// A report.
    public init(best: ReportEntry?, ranked: [ReportEntry], errors: [ReportError], elapsedMs: Double, sweep: SweepSummary? = nil) {
        self.best = best
        self.ranked = ranked
        self.errors = errors
        self.elapsedMs = elapsedMs
        self.sweep = sweep
    }

    enum CodingKeys: String, CodingKey {
        case best, ranked, errors, elapsedMs = "elapsed_ms", sweep, sticky, notes, early, providers, durations, connection, version
    }

    /// Reads a report as `--json` and `probe report --format jsonl` write it (keys written only
    /// when they have something to say may be missing).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        best = try container.decodeIfPresent(ReportEntry.self, forKey: .best)
        ranked = try container.decodeIfPresent([ReportEntry].self, forKey: .ranked) ?? []
        errors = try container.decodeIfPresent([ReportError].self, forKey: .errors) ?? []
        elapsedMs = try container.decodeIfPresent(Double.self, forKey: .elapsedMs) ?? 0
        sweep = try container.decodeIfPresent(SweepSummary.self, forKey: .sweep)
        sticky = try container.decodeIfPresent(Sticky.self, forKey: .sticky)
        notes = try container.decodeIfPresent([String].self, forKey: .notes) ?? []
        early = try container.decodeIfPresent(EarlyAnswerSummary.self, forKey: .early)
        providers = try container.decodeIfPresent([ProviderStatus].self, forKey: .providers) ?? []
        durations = try container.decodeIfPresent(RunDurations.self, forKey: .durations)
        connection = try container.decodeIfPresent(Connection.self, forKey: .connection)
    }

    /// The same keys as `probe --json` writes (`best`, `sweep` and `durations`
    /// as `null` when there is none; `sticky`, `notes`, `early` and `connection` only when set).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(best, forKey: .best)
        try container.encode(ranked, forKey: .ranked)
        try container.encode(errors, forKey: .errors)
        try container.encode(elapsedMs, forKey: .elapsedMs)
        try container.encode(sweep, forKey: .sweep)
        try container.encodeIfPresent(sticky, forKey: .sticky)
        if !notes.isEmpty { try container.encode(notes, forKey: .notes) }
        try container.encodeIfPresent(early, forKey: .early)
        try container.encode(providers, forKey: .providers)
        try container.encode(durations, forKey: .durations)
        try container.encodeIfPresent(connection, forKey: .connection)
        try container.encode(ProbeVersion.current, forKey: .version)
    }

    /// Adds this run to `state`'s short history: the best 32 servers that answered, and the choice.
    package func recordHistory(into state: inout StickyState) {
        let choice = sticky?.choice ?? state.choice
        let kept = ranked.enumerated().filter { index, entry in
            (index < 32 && entry.score != nil) || (choice != nil && entry.candidateID == choice)
        }
        state.record(kept.map { _, entry in
            (entry.candidateID, StickyState.HistoryEntry(score: entry.score, median: entry.rttMs?.median, loss: entry.loss))
        })
    }

    /// Applies the sticky decision: `best` becomes the chosen entry (the incumbent when kept).
    package mutating func apply(_ decision: StickyDecision) {
        sticky = Sticky(choice: decision.choice, switched: decision.switched, reason: decision.reason)
        if let choice = decision.choice, let entry = ranked.first(where: { $0.candidateID == choice }) { best = entry }
    }
}

/// How long a run's phases took, in milliseconds (monotonic clock).
public struct RunDurations: Hashable, Sendable, Codable {
    /// Fetching the providers' lists (`nil` without providers).
    public var fetchMs: Double?
    /// Probing (resolution and re-probes included).
    public var probeMs: Double
    /// Ranking and building the report.
    public var rankMs: Double

    /// Durations.
    public init(fetchMs: Double? = nil, probeMs: Double, rankMs: Double) {
        self.fetchMs = fetchMs
        self.probeMs = probeMs
        self.rankMs = rankMs
    }

    enum CodingKeys: String, CodingKey {
        case fetchMs = "fetch_ms", probeMs = "probe_ms", rankMs = "rank_ms"
    }

    /// Every key is written, `fetch_ms` as `null` without providers.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(fetchMs, forKey: .fetchMs)
        try container.encode(probeMs, forKey: .probeMs)
        try container.encode(rankMs, forKey: .rankMs)
    }
}
