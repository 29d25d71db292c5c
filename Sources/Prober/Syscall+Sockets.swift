#if canImport(Glibc)
import Glibc
#endif
import CProbe
import ProbeSystem

/// The socket, epoll and timer calls of the probing core, beside the file calls in
/// ProbeSystem's ``Syscall``: one gatekeeper, one `EINTR` rule (``Syscall/retryingOnInterrupt(_:)``).
extension Syscall {
    /// `socket(2)` with `SOCK_NONBLOCK | SOCK_CLOEXEC`.
    static func socket(family: Int32, type: Int32, protocol proto: Int32) throws(Errno) -> Int32 {
        try retryingOnInterrupt { Glibc.socket(family, type | CPROBE_SOCK_NONBLOCK | CPROBE_SOCK_CLOEXEC, proto) }
    }

    /// `connect(2)` on a non-blocking socket: `nil` when it connected at once, else the error
    /// (``Errno/inProgress`` while the handshake runs). Never retried: an interrupted connect
    /// goes on in the kernel, and a second call would report `EALREADY`.
    static func connect(_ fd: Int32, to address: SocketAddress) -> Errno? {
        address.withSockAddr { Glibc.connect(fd, $0, $1) } == 0 ? nil : Errno.current
    }

    /// Dissolves a datagram socket's association (`connect` to `AF_UNSPEC`): a recycled socket
    /// then connects afresh. Whether it worked.
    static func disconnect(_ fd: Int32) -> Bool {
        var unspecified = sockaddr()
        unspecified.sa_family = sa_family_t(AF_UNSPEC)
        return Glibc.connect(fd, &unspecified, socklen_t(MemoryLayout<sockaddr>.size)) == 0
    }

    /// `bind(2)`.
    static func bind(_ fd: Int32, to address: SocketAddress) throws(Errno) {
        _ = try retryingOnInterrupt { address.withSockAddr { Glibc.bind(fd, $0, $1) } }
    }

    /// `listen(2)`.
    static func listen(_ fd: Int32, backlog: Int32) throws(Errno) {
        _ = try retryingOnInterrupt { Glibc.listen(fd, backlog) }
    }

    /// The port a bound socket of `family` got (`getsockname(2)`).
    static func localPort(_ fd: Int32, family: SocketAddress.Family) throws(Errno) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try retryingOnInterrupt {
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
        }
        return withUnsafeBytes(of: storage) { raw -> UInt16 in
            family == .inet
                ? UInt16(bigEndian: raw.loadUnaligned(as: sockaddr_in.self).sin_port)
                : UInt16(bigEndian: raw.loadUnaligned(as: sockaddr_in6.self).sin6_port)
        }
    }

    /// `accept4(2)` of one waiting connection (non-blocking, close-on-exec); `nil` when none waits.
    static func accept(_ fd: Int32) -> Int32? {
        let client = cprobe_accept(fd)
        return client < 0 ? nil : client
    }

    /// `shutdown(2)` of both directions (wakes a thread blocked in `poll` or `accept` on it).
    static func shutdown(_ fd: Int32) {
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }

    /// `poll(2)` of one descriptor for `events`, waiting at most `timeoutMilliseconds`: the
    /// events that came (`revents`), 0 on timeout or interruption.
    static func poll(_ fd: Int32, events: Int16, timeoutMilliseconds: Int32) -> Int16 {
        var poller = pollfd(fd: fd, events: events, revents: 0)
        return Glibc.poll(&poller, 1, timeoutMilliseconds) > 0 ? poller.revents : 0
    }

    /// `send(2)` of `bytes` on a connected socket, without blocking or raising `SIGPIPE`: the
    /// count sent, or the error.
    static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, flags: Int32 = 0) -> Result<Int, Errno> {
        let count = Glibc.send(fd, bytes.baseAddress, bytes.count, flags | Int32(MSG_NOSIGNAL))
        return count < 0 ? .failure(Errno.current) : .success(count)
    }

    /// `sendto(2)` of `bytes` to `address`, without blocking: the count sent, or the error.
    static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, to address: SocketAddress) -> Result<Int, Errno> {
        let count = address.withSockAddr { pointer, length in
            Glibc.sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL), pointer, length)
        }
        return count < 0 ? .failure(Errno.current) : .success(count)
    }

    /// `recv(2)` into `buffer` without blocking: the count received (0 at end of stream), or the
    /// error (``Errno/wouldBlock`` when nothing waits).
    static func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, Errno> {
        let count = Glibc.recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
        return count < 0 ? .failure(Errno.current) : .success(count)
    }

    /// `recvmsg(2)` of one datagram with its kernel receive timestamp, source and ICMP error
    /// details (`errorQueue`: from the socket's error queue); the byte count, or -1 with errno set.
    static func receiveMessage(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, from source: inout sockaddr_storage,
                               errorQueue: Bool, info: inout cprobe_recv_info) -> Int {
        Int(cprobe_recvmsg(fd, buffer.baseAddress, UInt(buffer.count), &source, errorQueue ? 1 : 0, &info))
    }

    /// The kernel's smoothed round-trip time of a connected TCP socket (`TCP_INFO`), in
    /// microseconds; `nil` when it has none.
    static func tcpRoundTripMicroseconds(_ fd: Int32) -> UInt32? {
        var info = cprobe_tcp_info()
        guard cprobe_get_tcp_info(fd, &info) == 0, info.rtt_us > 0 else { return nil }
        return info.rtt_us
    }

    /// Sets up an ICMP socket (receive timestamps, error queue, the IP header or not).
    static func configureICMP(_ fd: Int32, v6: Bool, raw: Bool) throws(Errno) {
        guard cprobe_icmp_configure(fd, v6 ? 1 : 0, raw ? 1 : 0) == 0 else { throw Errno.current }
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
