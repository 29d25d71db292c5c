import FoundationEssentials

/// The first, cheap round of an early answer (`probe --best`): one probe per target (ICMP where
/// it runs, else TCP), and probes still unanswered at a cutoff are abandoned as ``ProbeOutcome/pruned``.
///
/// The cutoff comes from the targets already answered: a score that never improves as RTT grows
/// means a probe unanswered after `t` cannot beat a server whose score is already below what
/// `t` allows. Prober knows nothing of scores; the caller's closure turns a finished target
/// into that time, and the sweep keeps the smallest.
package struct FirstRound: Sendable {
    /// Given a finished target's index (in the list given to the engine) and its samples, the
    /// time in nanoseconds after which an unanswered probe can no longer beat it; `nil` when it
    /// sets no bound. Runs on the reactor thread: keep it cheap.
    package var cutoff: @Sendable (_ target: Int, _ samples: [ProbeSample]) -> UInt64?

    /// A first round with this cutoff rule.
    package init(cutoff: @escaping @Sendable (_ target: Int, _ samples: [ProbeSample]) -> UInt64?) {
        self.cutoff = cutoff
    }
}
