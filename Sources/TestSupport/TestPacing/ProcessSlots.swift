#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// How many helper programs the test process runs at once (the `probe` binary, Chromium,
/// promtool, wg-quick and the like).
///
/// Swift Testing starts every test it can at once. On a two-core machine that already runs other
/// work, fifty programs started together leave each a sliver of a CPU for tens of seconds, and a
/// test that waits on a clock of its own (a cancellation, a long poll, a soak) sees its process
/// stall for as long. Short-lived programs wait for a slot here instead: the machine runs a few at
/// a time, each at full speed, and the suite's total time stays the same.
///
/// Long-lived servers a test keeps for its whole length (`probe serve`, the simulators) do not
/// take a slot: a test holding one while it waited for another could wait forever.
public enum ProcessSlots {
    /// Programs at once: the cores plus one (one waits on I/O while the others compute).
    public static let width = max(2, sysconfCores() + 1)

    /// Chromium is many processes at once: one page at a time in the whole test run.
    public static let browser = Slots(width: 1)

    /// Every other helper program.
    public static let programs = Slots(width: width)

    static func sysconfCores() -> Int {
        #if canImport(Glibc)
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        return 2
        #endif
    }
}

/// A counting semaphore for async code: `run` waits (without blocking a thread) until fewer than
/// `width` bodies are running, then runs its body.
public final class Slots: Sendable {
    private struct State {
        var free: Int
        var waiting: [CheckedContinuation<Void, Never>] = []
    }
    private let state: Mutex<State>

    /// `width` bodies at once.
    public init(width: Int) { state = Mutex(State(free: max(1, width))) }

    /// Runs `body` once a slot is free, and frees the slot when it ends (returns or throws).
    public func run<T>(_ body: () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.free > 0 {
                    state.free -= 1
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiting.isEmpty {
                state.free += 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
