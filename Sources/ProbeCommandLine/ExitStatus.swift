package import ArgumentParser

/// Exit statuses that scripts rely on.
package enum ExitStatus {
    /// Nothing answered.
    package static let nothingReachable = ExitCode(2)
    /// A best server was found, but no connection material could be had (nor for a fallback).
    package static let noConnection = ExitCode(3)
    /// Bad usage: flags, targets, files (EX_USAGE).
    package static let usage = ExitCode(64)
    /// ICMP was required and this process may not send it (EX_NOPERM).
    package static let noPermission = ExitCode(77)
    /// A part of probe is missing: `probe serve` found no `probe-serve` beside `probe` (EX_UNAVAILABLE).
    package static let unavailable = ExitCode(69)
}
