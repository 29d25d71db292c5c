import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import CProbe
package import ProbeSystem

/// One epoll instance, owned by one thread, woken by an eventfd, with deadlines on a timerfd.
///
/// As in NIOPosix: the thread that created it is the only one that calls ``add(_:events:data:)``,
/// ``wait(_:)`` and ``arm(_:)``; any thread may call ``SweepControl/cancel()``, which writes to the eventfd.
/// Each registration carries 64 bits of user data (a slot and a generation tag), so events for a
/// socket that was since closed and replaced are recognised and dropped.
package final class Reactor {
    /// User data reserved for the wake-up eventfd.
    package static let wakeData: UInt64 = .max
    /// User data reserved for the deadline timerfd.
    package static let timerData: UInt64 = .max - 1

    package let epollFD: Int32
    package let wakeFD: Int32
    package let timerFD: Int32
    private var armed: MonotonicInstant?
    private let events: UnsafeMutableBufferPointer<epoll_event>

    /// Creates the epoll instance, the eventfd and the timerfd.
    package init(eventCapacity: Int = 1024) throws(Errno) {
        epollFD = try Syscall.epollCreate()
        do {
            wakeFD = try Syscall.eventFD()
        } catch {
            Syscall.close(epollFD)
            throw error
        }
        do {
            timerFD = try Syscall.timerFD()
        } catch {
            Syscall.close(wakeFD)
            Syscall.close(epollFD)
            throw error
        }
        events = .allocate(capacity: eventCapacity)
        do {
            try Syscall.epollControl(epollFD, EPOLL_CTL_ADD, wakeFD, events: CPROBE_EPOLLIN, data: Self.wakeData)
            try Syscall.epollControl(epollFD, EPOLL_CTL_ADD, timerFD, events: CPROBE_EPOLLIN, data: Self.timerData)
        } catch {
            close()
            throw error
        }
    }

    /// Watches `fd` for `events`, reporting `data` with each event.
    package func add(_ fd: Int32, events: UInt32, data: UInt64) throws(Errno) {
        try Syscall.epollControl(epollFD, EPOLL_CTL_ADD, fd, events: events, data: data)
    }

    /// Changes the events watched on `fd` (a handshake over TCP waits to write, then to read).
    package func modify(_ fd: Int32, events: UInt32, data: UInt64) throws(Errno) {
        try Syscall.epollControl(epollFD, EPOLL_CTL_MOD, fd, events: events, data: data)
    }

    /// Stops watching `fd` (it stays open: a WireGuard job keeps its socket between samples).
    package func remove(_ fd: Int32) throws(Errno) {
        try Syscall.epollControl(epollFD, EPOLL_CTL_DEL, fd, events: 0, data: 0)
    }

    /// Sets the next wake-up (no syscall when it is unchanged); `nil` waits for I/O only.
    package func arm(_ deadline: MonotonicInstant?) throws(Errno) {
        guard deadline != armed else { return }
        try Syscall.armTimer(timerFD, at: deadline)
        armed = deadline
    }

    /// Blocks until at least one event, then calls `body` with each (user data, event bits).
    /// The eventfd and timerfd are drained here and reported like any other event.
    /// With `block` false it only collects what is ready now (for a long burst of sends, so
    /// answers are read while the burst goes on).
    package func wait(block: Bool = true, _ body: (UInt64, UInt32) -> Void) throws(Errno) {
        let count = try Syscall.epollWait(epollFD, into: events, timeoutMilliseconds: block ? -1 : 0)
        for index in 0..<count {
            let event = events[index]
            let data = event.data.u64
            if data == Self.wakeData {
                Syscall.drainCounter(wakeFD)
            } else if data == Self.timerData {
                Syscall.drainCounter(timerFD)
                armed = nil
            }
            body(data, event.events)
        }
    }

    /// Wakes the reactor's thread from any thread (writes to the eventfd).
    package func wake() { Syscall.signal(wakeFD) }

    /// Closes the epoll instance, the timerfd and the eventfd.
    package func close() {
        Syscall.close(timerFD)
        Syscall.close(wakeFD)
        Syscall.close(epollFD)
        events.deallocate()
    }
}
