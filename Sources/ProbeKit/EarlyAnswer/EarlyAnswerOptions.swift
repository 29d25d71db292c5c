/// How `probe --best` answers early: a cheap first round to every server, then the full samples
/// only to the finalists (and the incumbent), then stop.
///
/// The score never improves as RTT grows, so a server whose first probe is still unanswered
/// `cutoffFactor × best + cutoffMarginMilliseconds` after it was sent cannot beat the best first-round
/// score: its probe is abandoned (`pruned`) and the round ends as soon as every probe has
/// answered or been pruned. The margin covers what one sample cannot show (jitter, the gap between
/// ICMP and TCP).
public struct EarlyAnswerOptions: Hashable, Sendable, Codable {
    /// The cutoff is this multiple of the best first-round score... (default 1.5)
    public var cutoffFactor: Double
    /// ...plus this many milliseconds (default 5).
    public var cutoffMarginMilliseconds: Double
    /// At most this many finalists: servers that answered within the cutoff in force when they
    /// answered (default 16; the incumbent comes on top).
    public var maximumFinalists: Int
    /// Wait for every name to resolve before the first round ends (`--await-dns`). By default a
    /// name still resolving when every other server has answered (and one has a score) is
    /// reported unresolved with the time waited: the slowest lookup never holds the answer back.
    public var awaitNames: Bool

    /// Options with the documented defaults, or the values given.
    public init(cutoffFactor: Double = 1.5, cutoffMarginMilliseconds: Double = 5, maximumFinalists: Int = 16, awaitNames: Bool = false) {
        self.awaitNames = awaitNames
        self.cutoffFactor = cutoffFactor
        self.cutoffMarginMilliseconds = cutoffMarginMilliseconds
        self.maximumFinalists = maximumFinalists
    }

    /// The cutoff, in milliseconds, that a first-round score of `score` ms sets.
    public func cutoff(forScore score: Double) -> Double {
        max(0, cutoffFactor) * score + max(0, cutoffMarginMilliseconds)
    }
}

extension EarlyAnswerOptions {
    enum CodingKeys: String, CodingKey {
        case cutoffFactor, cutoffMarginMilliseconds, maximumFinalists, awaitNames
    }

    /// Reads the value; every key is optional and takes its default when missing.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = EarlyAnswerOptions()
        cutoffFactor = try container.value(.cutoffFactor, or: defaults.cutoffFactor)
        cutoffMarginMilliseconds = try container.value(.cutoffMarginMilliseconds, or: defaults.cutoffMarginMilliseconds)
        maximumFinalists = try container.value(.maximumFinalists, or: defaults.maximumFinalists)
        awaitNames = try container.value(.awaitNames, or: defaults.awaitNames)
    }
}
