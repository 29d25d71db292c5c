import Foundation

/// What a running sweep reports.
package enum SweepEvent: Sendable {
    /// A target's result, final.
    case result(TargetResult)
    /// The sweep's figures, after every result.
    case summary(SweepSummary)
    /// The result of a server measured on a live sweep (``LiveSweep/measure(_:)``); its index is the request's tag.
    case final(TargetResult)
}
