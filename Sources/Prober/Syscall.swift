#if canImport(Glibc)
import Glibc
#endif
import CProbe

/// Thin shims over the system calls probe uses, in one place (as swift-system does).
///
/// Every shim returns its result or throws an ``Errno``. `EINTR` is retried in
/// ``retryingOnInterrupt(_:)`` and nowhere else; `close` is never retried.
enum Syscall {
    /// Runs `body` until it returns something other than -1 with `EINTR`.
    @inline(__always)
    static func retryingOnInterrupt(_ body: () -> Int32) throws(Errno) -> Int32 {
        while true {
            let result = body()
            if result != -1 { return result }
            let error = Errno.current
            if error != .interrupted { throw error }
        }
    }

    /// `socket(2)` with `SOCK_NONBLOCK | SOCK_CLOEXEC`.
    static func socket(family: Int32, type: Int32, protocol proto: Int32) throws(Errno) -> Int32 {
        try retryingOnInterrupt { Glibc.socket(family, type | CPROBE_SOCK_NONBLOCK | CPROBE_SOCK_CLOEXEC, proto) }
    }

    /// `close(2)`, never retried: on Linux the descriptor is gone even when close reports EINTR.
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// `getsockopt(2)` for an `Int32`-sized option.
    static func getIntOption(_ fd: Int32, level: Int32, name: Int32) throws(Errno) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = try retryingOnInterrupt { Glibc.getsockopt(fd, level, name, &value, &length) }
        return value
    }

    /// `setsockopt(2)` for an `Int32` option.
    static func setIntOption(_ fd: Int32, level: Int32, name: Int32, value: Int32) throws(Errno) {
        var value = value
        _ = try retryingOnInterrupt {
            Glibc.setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// Sets `SO_LINGER` to {on, 0 s}: closing sends RST and leaves no TIME_WAIT behind.
    static func setAbortiveClose(_ fd: Int32) throws(Errno) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = try retryingOnInterrupt {
            Glibc.setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        }
    }

    /// The pending socket error (`SO_ERROR`), 0 when none.
    static func pendingError(_ fd: Int32) throws(Errno) -> Int32 {
        try getIntOption(fd, level: SOL_SOCKET, name: SO_ERROR)
    }

    /// `epoll_create1(EPOLL_CLOEXEC)`.
    static func epollCreate() throws(Errno) -> Int32 {
        try retryingOnInterrupt { epoll_create1(CPROBE_EPOLL_CLOEXEC) }
    }

    /// `epoll_ctl(2)`.
    static func epollControl(_ epfd: Int32, _ op: Int32, _ fd: Int32, events: UInt32, data: UInt64) throws(Errno) {
        var event = epoll_event()
        event.events = events
        event.data.u64 = data
        _ = try retryingOnInterrupt { epoll_ctl(epfd, op, fd, &event) }
    }

    /// `epoll_wait(2)` with an infinite timeout (the reactor arms a timerfd for deadlines).
    static func epollWait(
        _ epfd: Int32, into buffer: UnsafeMutableBufferPointer<epoll_event>, timeoutMilliseconds: Int32 = -1
    ) throws(Errno) -> Int {
        Int(try retryingOnInterrupt { epoll_wait(epfd, buffer.baseAddress, Int32(buffer.count), timeoutMilliseconds) })
    }

    /// `eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)`.
    static func eventFD() throws(Errno) -> Int32 {
        try retryingOnInterrupt { eventfd(0, CPROBE_EFD_CLOEXEC | CPROBE_EFD_NONBLOCK) }
    }

    /// `timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)`.
    static func timerFD() throws(Errno) -> Int32 {
        try retryingOnInterrupt { timerfd_create(CLOCK_MONOTONIC, CPROBE_TFD_CLOEXEC | CPROBE_TFD_NONBLOCK) }
    }

    /// Arms a timerfd to fire once at an absolute `CLOCK_MONOTONIC` instant; `nil` disarms it.
    static func armTimer(_ fd: Int32, at deadline: MonotonicInstant?) throws(Errno) {
        var spec = itimerspec()
        if let deadline {
            // An all-zero it_value disarms the timer, so a deadline at 0 ns becomes 1 ns.
            let ns = max(deadline.nanoseconds, 1)
            spec.it_value.tv_sec = Int(ns / 1_000_000_000)
            spec.it_value.tv_nsec = Int(ns % 1_000_000_000)
        }
        _ = try retryingOnInterrupt { timerfd_settime(fd, CPROBE_TFD_TIMER_ABSTIME, &spec, nil) }
    }

    /// Reads and discards the 8-byte counter of an eventfd or timerfd.
    static func drainCounter(_ fd: Int32) {
        var value: UInt64 = 0
        _ = Glibc.read(fd, &value, 8)
    }

    /// Adds one to an eventfd's counter, waking whoever waits on it. Safe from any thread.
    static func signal(_ fd: Int32) {
        var one: UInt64 = 1
        _ = Glibc.write(fd, &one, 8)
    }
}
