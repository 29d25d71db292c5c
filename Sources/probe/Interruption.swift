import ArgumentParser
import FoundationEssentials
import ProbeCommandLine
import ProbeKit
#if canImport(Glibc)
import Glibc
#endif

/// A run that SIGINT and SIGTERM cancel instead of killing: the work sees the cancellation, gives
/// back what it created at a provider (bounded to a few seconds), and then the process exits
/// 130 or 143, as a killed one would.
enum Interruption {
    /// Runs `work`; with `enabled`, a SIGINT or SIGTERM cancels it, waits for it to finish its
    /// give-back, and exits 128 + the signal.
    static func guarding<T: Sendable>(_ enabled: Bool = true, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        guard enabled else { return try await work() }
        let signals = SignalWatcher(signals: [SIGINT, SIGTERM])
        defer { signals.stop() }
        let task = Task { try await work() }
        let watcher = Task {
            if let signal = await signals.next() {
                task.cancel()
                return signal
            }
            return Int32(0)
        }
        let result = await task.result
        signals.stop()
        let signal = await watcher.value
        if signal != 0 {
            Console.endProgress()
            // What the cancelled work said on its way out (a configuration given back, or not).
            if case .failure(let error as ProbeClientError) = result, error.code != .cancelled { Console.error(error.message) }
            Console.error("probe: interrupted (\(signal == SIGINT ? "SIGINT" : "SIGTERM")): stopped")
            throw ExitCode(128 + signal)
        }
        return try result.get()
    }

}
