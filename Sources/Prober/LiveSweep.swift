import Synchronization

/// A sweep that takes more work while it runs: the early answer's finalists join the running
/// reactor (one thread, one ICMP socket per family, one token bucket and one in-flight limit for
/// the whole run) instead of starting engines of their own.
///
/// Commands are queued and the reactor is woken through its eventfd; they take effect at the
/// reactor's next turn. Results of measured requests come as ``SweepEvent/final(_:)`` with the
/// request's `tag` as their index. The sweep ends once ``close()`` was called and every job is final.
package final class LiveSweep: Sendable {
    /// One server to measure in full while the sweep runs.
    package struct Request: Sendable, Hashable {
        /// The caller's number for it (the result's `index`).
        package var tag: Int
        /// The target as given (for the result).
        package var target: ProbeTarget
        /// Where to probe (already resolved).
        package var address: SocketAddress
        /// Samples of each method.
        package var samples: Int
        /// Per-probe timeout.
        package var timeoutMilliseconds: Int

        /// A request.
        package init(tag: Int, target: ProbeTarget, address: SocketAddress, samples: Int, timeoutMilliseconds: Int) {
            self.tag = tag
            self.target = target
            self.address = address
            self.samples = samples
            self.timeoutMilliseconds = timeoutMilliseconds
        }
    }

    enum Command: Sendable {
        case measure([Request])
        case drop([Int])
        case abandonNames
        case close
    }

    let control: SweepControl
    private let commands = Mutex<[Command]>([])

    init(control: SweepControl) { self.control = control }

    /// Measures `requests` in full on the running sweep.
    package func measure(_ requests: [Request]) {
        guard !requests.isEmpty else { return }
        push(.measure(requests))
    }

    /// Gives up on the requests tagged `tags`: nothing more of them starts, their probes in flight
    /// are closed, and they report nothing.
    package func drop(tags: [Int]) {
        guard !tags.isEmpty else { return }
        push(.drop(tags))
    }

    /// Stops waiting for names still being looked up: their targets are reported unresolved, with
    /// the time waited (the early answer's first round ends without its slowest lookups).
    package func abandonNames() { push(.abandonNames) }

    /// No more work: the sweep ends when every job is final.
    package func close() { push(.close) }

    /// The commands queued since the last call (reactor thread).
    func take() -> [Command] {
        commands.withLock { queued in
            defer { queued.removeAll() }
            return queued
        }
    }

    private func push(_ command: Command) {
        commands.withLock { $0.append(command) }
        control.wake()
    }
}
