import Synchronization

/// Finalists whose full measurement is no longer needed: each measuring task races its sweep
/// against ``wait(for:)`` and stops measuring when its finalist is dropped.
final class FinalistDrops: Sendable {
    private struct State {
        var dropped = Set<Int>()
        var waiters: [Int: [CheckedContinuation<Void, Never>]] = [:]
        var cancelled = Set<Int>()
    }
    private let state = Mutex(State())

    /// Returns when `index` is dropped, or when the waiting task is cancelled.
    func wait(for index: Int) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resume = state.withLock { state -> Bool in
                    if state.dropped.contains(index) || state.cancelled.contains(index) { return true }
                    state.waiters[index, default: []].append(continuation)
                    return false
                }
                if resume { continuation.resume() }
            }
        } onCancel: {
            let waiting = state.withLock { state in
                state.cancelled.insert(index)
                return state.waiters.removeValue(forKey: index) ?? []
            }
            for continuation in waiting { continuation.resume() }
        }
    }

    /// Stops the measurement of `index`.
    func drop(_ index: Int) {
        let waiting = state.withLock { state in
            state.dropped.insert(index)
            return state.waiters.removeValue(forKey: index) ?? []
        }
        for continuation in waiting { continuation.resume() }
    }
}
