import FoundationEssentials

/// All results of a sweep, in input order, and its figures.
package struct SweepReport: Sendable {
    /// One result per target, in the order given.
    package var results: [TargetResult]
    /// Figures about the sweep.
    package var summary: SweepSummary

    /// A sweep's results and figures.
    package init(results: [TargetResult], summary: SweepSummary) {
        self.results = results
        self.summary = summary
    }
}
