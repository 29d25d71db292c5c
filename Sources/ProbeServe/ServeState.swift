package import ProbeKit
import Foundation
import Prober
import Synchronization

/// What `probe serve` answers with, kept between rounds: the metrics (cumulative), the latest
/// round's report and choice, and the readers waiting for the choice to change. No HTTP here: the
/// executable's server asks it for text and waits on it.
///
/// A scrape never waits for a round and never sees half of one: a round is ingested in one step,
/// under the lock, and every answer is made from one consistent state.
package final class ServeState: Sendable {
    /// The current choice as served by `/best`: its entity tag and body.
    package struct Best: Sendable, Equatable {
        /// `"g<choice generation>.r<round>"`: new every round, and its generation says which choice it had.
        package var etag: String
        /// The best entry as in `--json` (`null` when nothing answered).
        package var body: String
        /// Increments each time the choice moves to another server.
        package var generation: Int
    }

    private struct State {
        var metrics: PrometheusMetrics
        /// The HTML page's history; the page is made when asked for (a 10,000-server table is megabytes).
        var html = HTMLReport()
        var report: String?
        var best: Best?
        var choice: String?
        var generation = 0
        var lastRound: MonotonicInstant?
        var waiters: [UInt64: AsyncStream<Void>.Continuation] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state: Mutex<State>

    /// A state with these histogram buckets (seconds).
    package init(buckets: [Double] = PrometheusMetrics.defaultBuckets) {
        state = Mutex(State(metrics: PrometheusMetrics(buckets: buckets)))
    }

    /// Takes in a round: metrics, the report, the page and the choice, at once. Wakes the readers
    /// of `/best?wait=` when the choice moved.
    package func ingest(_ round: ProbeRound, timestamp: Double) {
        // The texts are made outside the lock (a 10,000-server report takes milliseconds).
        var report: String?
        var bestBody = "null"
        var choice: String?
        if case .success(let finished) = round.result {
            report = finished.jsonText(pretty: false)
            if let best = finished.best {
                var bytes: [UInt8] = []
                if (try? StreamingJSONEncoder().encode(best, into: &bytes)) != nil { bestBody = String(decoding: bytes, as: UTF8.self) }
                choice = best.candidateID
                // With --connect: the entry and its connection's manifest (never the material). A
                // connection fetched anew counts as a change for the readers waiting on one.
                if let connection = finished.connection, bestBody.hasSuffix("}") {
                    bytes.removeAll(keepingCapacity: true)
                    if (try? StreamingJSONEncoder().encode(connection, into: &bytes)) != nil {
                        bestBody = String(bestBody.dropLast()) + ",\"connection\":" + String(decoding: bytes, as: UTF8.self) + "}"
                    }
                    choice = best.candidateID + "\u{1}" + connection.server.provider + "\u{1}" + connection.server.id + "\u{1}" + connection.fetchedAt
                }
            }
        }
        let woken = state.withLock { state -> [AsyncStream<Void>.Continuation] in
            state.metrics.ingest(round, timestamp: timestamp)
            state.html.add(round, timestamp: timestamp)
            state.lastRound = .now()
            guard report != nil else { return [] }  // a failed round keeps the last choice
            state.report = report
            var moved = false
            if choice != state.choice {
                state.generation += 1
                state.choice = choice
                moved = true
            }
            state.best = Best(etag: "\"g\(state.generation).r\(round.index)\"", body: bestBody, generation: state.generation)
            guard moved else { return [] }
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in woken {
            waiter.yield()
            waiter.finish()
        }
    }

    /// The metrics exposition (see ``PrometheusMetrics/render(openMetrics:process:)``).
    package func metrics(openMetrics: Bool, process: PrometheusMetrics.ProcessFigures?) -> String {
        state.withLock { $0.metrics.render(openMetrics: openMetrics, process: process) }
    }

    /// The latest round's report as `--json` prints it, once a round has completed.
    package var report: String? { state.withLock { $0.report } }

    /// The HTML report of the rounds so far (made now, outside the lock, from a copy), as `/`
    /// serves it: reloading every `refreshSeconds`, with links to the other endpoints.
    package func page(refreshSeconds: Int) -> String? {
        let html = state.withLock { $0.lastRound == nil ? nil : $0.html }
        return html?.render(live: HTMLReport.Live(refreshSeconds: refreshSeconds))
    }

    /// The current choice, once a round has completed.
    package var best: Best? { state.withLock { $0.best } }

    /// Seconds since the last round completed, `nil` before the first.
    package var lastRoundAge: Double? {
        state.withLock { state in state.lastRound.map { MonotonicInstant.now().milliseconds(since: $0) / 1_000 } }
    }

    /// The choice once it differs from the one `etag` was given for (its generation), or after
    /// `timeout`, whichever comes first: a long poll. Returns at once when it already differs.
    package func best(changedFrom etag: String?, timeout: Duration) async -> Best? {
        let known = etag.flatMap(Self.generation(of:))
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        let registration = state.withLock { state -> UInt64? in
            if let known, let best = state.best, best.generation != known { return nil }  // already moved
            if known == nil, state.best != nil { return nil }  // nothing to wait from
            state.nextWaiter += 1
            state.waiters[state.nextWaiter] = continuation
            return state.nextWaiter
        }
        guard let registration else { return best }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await _ in stream { return } }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        state.withLock { _ = $0.waiters.removeValue(forKey: registration) }
        continuation.finish()
        return best
    }

    /// The choice generation an entity tag was given for.
    package static func generation(of etag: String) -> Int? {
        let trimmed = etag.trimmingCharacters(in: CharacterSet(charactersIn: "\" W/"))
        guard trimmed.hasPrefix("g"), let dot = trimmed.firstIndex(of: ".") else { return nil }
        return Int(trimmed[trimmed.index(after: trimmed.startIndex)..<dot])
    }
}
