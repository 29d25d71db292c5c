

/// One sample of one target.
package struct ProbeSample: Hashable, Sendable {
    /// The sample's index (0-based, in send order).
    package var index: Int
    /// How it ended.
    package var outcome: ProbeOutcome
    /// Round-trip time in nanoseconds, for answered samples.
    package var rttNanoseconds: UInt64?
    /// Where the RTT came from.
    package var timing: TimingSource?

    /// A sample.
    package init(index: Int, outcome: ProbeOutcome, rttNanoseconds: UInt64? = nil, timing: TimingSource? = nil) {
        self.index = index
        self.outcome = outcome
        self.rttNanoseconds = rttNanoseconds
        self.timing = timing
    }

    /// RTT in milliseconds, for answered samples.
    package var rttMilliseconds: Double? { rttNanoseconds.map { Double($0) / 1_000_000 } }
}
