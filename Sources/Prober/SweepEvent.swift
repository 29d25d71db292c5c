import FoundationEssentials

/// What a running sweep reports.
package enum SweepEvent: Sendable {
    /// A target's result, final.
    case result(TargetResult)
    /// The sweep's figures, after every result.
    case summary(SweepSummary)
    /// How many targets' names are still being looked up (sent when it changes, while any are):
    /// a target whose name resolved is probing; one still resolving has no result yet.
    case resolving(pending: Int)
    /// The result of a server measured on a live sweep (``LiveSweep/measure(_:)``); its index is the request's tag.
    case final(TargetResult)
}
