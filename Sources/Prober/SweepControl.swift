import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import CProbe
import ProbeSystem

/// The cross-thread handle on a running sweep: cancel it from anywhere.
final class SweepControl: Sendable {
    private struct State {
        var cancelled = false
        var wakeFD: Int32?
    }
    private let state = Mutex(State())

    /// Asks the sweep to stop: no new probe starts, every socket is closed. Idempotent.
    func cancel() {
        state.withLock { state in
            state.cancelled = true
            if let fd = state.wakeFD { Syscall.signal(fd) }
        }
    }

    /// Wakes the reactor (work was handed over), if it runs.
    func wake() {
        state.withLock { state in
            if let fd = state.wakeFD { Syscall.signal(fd) }
        }
    }

    /// Whether ``cancel()`` was called.
    var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Called by the reactor thread: where to signal (nil once the eventfd is closed).
    func attach(wakeFD: Int32?) {
        state.withLock { state in
            state.wakeFD = wakeFD
            if state.cancelled, let fd = wakeFD { Syscall.signal(fd) }
        }
    }
}
