import FoundationEssentials
import Dispatch
package import ProbeKit
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Progress for people: one line on stderr, redrawn in place, cleared at the end. Only when
/// stderr is a terminal and not `--quiet`; scripts and `--json` never see it.
package final class ProgressLine: Sendable {
    private struct State {
        var lastDraw: UInt64 = 0
        var shown = false
        var fetched: (done: Int, total: Int)?
    }
    private let state = Mutex(State())

    /// A progress line when stderr is a terminal and not quiet, else `nil`.
    package static func make(quiet: Bool) -> ProgressLine? {
        quiet || isatty(STDERR_FILENO) == 0 ? nil : ProgressLine()
    }

    /// Shows `progress` (at most every 100 ms, and always the last figure of a phase).
    package func update(_ progress: ProbeProgress) {
        let now = DispatchTime.now().uptimeNanoseconds
        let line = state.withLock { state -> String? in
            if progress.phase == .fetching { state.fetched = (progress.done, progress.total) }
            let last = progress.done == progress.total
            guard last || now - state.lastDraw >= 100_000_000 else { return nil }
            state.lastDraw = now
            state.shown = true
            var text = ""
            if let fetched = state.fetched { text += "providers \(fetched.done)/\(fetched.total)" }
            if progress.phase == .probing {
                text += (text.isEmpty ? "" : ", ") + "probed \(progress.done)/\(progress.total) targets"
            }
            return text
        }
        if let line { Console.terminal("\r\u{1B}[K\(line)") }
    }

    /// Erases the line.
    package func clear() {
        let shown = state.withLock { state -> Bool in
            defer { state.shown = false; state.fetched = nil }
            return state.shown
        }
        if shown { Console.terminal("\r\u{1B}[K") }
    }
}
