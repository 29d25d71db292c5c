#if canImport(Glibc)
import Glibc
#endif
import CProbe

/// The I/O shell of a TCP-connect sweep: drives a ``SweepStateMachine`` on one ``Reactor``
/// thread, with non-blocking `connect`, `EPOLLOUT` and `SO_ERROR` (as NIOPosix does).
///
/// RTT comes from the kernel (`TCP_INFO` `tcpi_rtt`, taken right after the handshake) when it
/// has a sample, else from `CLOCK_MONOTONIC` read just before `connect` and when the event
/// arrives. Open sockets are closed with `SO_LINGER` 0 (RST), so no TIME_WAIT piles up.
final class TCPConnectSweep {
    private let addresses: [SocketAddress]
    private let options: ProbeOptions
    private let control: SweepControl
    private let onTarget: (Int, [ProbeSample]) -> Void
    private let beforeWaiting: () -> Void

    private var machine: SweepStateMachine
    private var fds: [Int32]
    private var startTimes: [MonotonicInstant]
    private(set) var descriptorRetries = 0

    /// A sweep over `addresses` (already resolved); `onTarget` gets each target's samples
    /// as soon as they are final, on the reactor thread; `beforeWaiting` runs each time the
    /// reactor is about to block (the moment to hand a batch of results over).
    init(
        addresses: [SocketAddress], options: ProbeOptions, control: SweepControl,
        onTarget: @escaping (Int, [ProbeSample]) -> Void, beforeWaiting: @escaping () -> Void = {}
    ) {
        self.beforeWaiting = beforeWaiting
        self.addresses = addresses
        self.options = options
        self.control = control
        self.onTarget = onTarget
        machine = SweepStateMachine(targetCount: 0, options: options, cap: 1, start: .now())
        fds = []
        startTimes = []
    }

    /// Runs to the end (or until cancelled) on the calling thread. Returns whether it was cancelled.
    func run(reactor: Reactor) throws(Errno) -> Bool {
        let cap = FileDescriptorBudget.cap(requested: options.maxInFlight)
        machine = SweepStateMachine(targetCount: addresses.count, options: options, cap: cap, start: .now())
        fds = Array(repeating: -1, count: machine.slotCount)
        startTimes = Array(repeating: MonotonicInstant(nanoseconds: 0), count: machine.slotCount)
        defer { closeAll() }
        while true {
            if control.isCancelled { return true }
            let now = MonotonicInstant.now()
            var waitUntil: MonotonicInstant?
            actions: while true {
                switch machine.nextAction(now: now) {
                case .start(let handle, let target, _):
                    start(handle, address: addresses[target], reactor: reactor)
                case .expire(let handle):
                    finish(handle, ProbeSample(index: 0, outcome: .timeout))
                case .wait(let until):
                    waitUntil = until
                    break actions
                case .finished:
                    return false
                }
            }
            try reactor.arm(waitUntil)
            beforeWaiting()
            try reactor.wait { data, events in
                guard data != Reactor.wakeData, data != Reactor.timerData else { return }
                handleEvent(SweepStateMachine.ProbeHandle(packed: data), events: events)
            }
        }
    }

    /// Figures for the summary.
    var peakInFlight: Int { machine.peakInFlight }
    var probesStarted: Int { machine.started }
    var effectiveCap: Int { machine.cap }

    private func start(_ handle: SweepStateMachine.ProbeHandle, address: SocketAddress, reactor: Reactor) {
        let fd: Int32
        do {
            fd = try Syscall.socket(family: address.protocolFamily, type: Int32(SOCK_STREAM.rawValue), protocol: 0)
        } catch {
            if error == .tooManyOpenFiles || error == .tooManyOpenFilesInSystem || error == .noBufferSpace {
                descriptorRetries += 1
                if machine.requeue(handle, now: .now()) { return }
            }
            finish(handle, ProbeSample(index: 0, outcome: .error(errno: error.name)))
            return
        }
        let slot = Int(handle.slot)
        fds[slot] = fd
        let sentAt = MonotonicInstant.now()
        startTimes[slot] = sentAt
        let result = address.withSockAddr { Glibc.connect(fd, $0, $1) }
        if result == 0 {
            complete(handle, fd: fd, at: .now())
            return
        }
        var error = Errno.current
        if error == .interrupted { error = .inProgress }  // the connect goes on asynchronously
        if error == .inProgress {
            do {
                try reactor.add(fd, events: CPROBE_EPOLLOUT, data: handle.packed)
            } catch {
                finish(handle, ProbeSample(index: 0, outcome: .error(errno: error.name)))
            }
            return
        }
        finish(handle, sample(for: error, sentAt: sentAt, at: .now()))
    }

    private func handleEvent(_ handle: SweepStateMachine.ProbeHandle, events: UInt32) {
        guard machine.isCurrent(handle) else { return }  // stale: the slot was reused since
        let now = MonotonicInstant.now()
        let fd = fds[Int(handle.slot)]
        let pending: Int32
        do {
            pending = try Syscall.pendingError(fd)
        } catch {
            finish(handle, ProbeSample(index: 0, outcome: .error(errno: error.name)))
            return
        }
        if pending == 0 {
            if events & CPROBE_EPOLLOUT != 0 {
                complete(handle, fd: fd, at: now)
            } else {
                finish(handle, ProbeSample(index: 0, outcome: .error(errno: "EPOLLHUP")))
            }
            return
        }
        let error = Errno(rawValue: pending)
        if error == .connectionReset || error == .brokenPipe {
            // Only an established connection can be reset: the handshake completed, then the peer
            // closed abortively before we saw EPOLLOUT. The port is open.
            complete(handle, fd: fd, at: now)
            return
        }
        finish(handle, sample(for: error, sentAt: startTimes[Int(handle.slot)], at: now))
    }

    /// The handshake completed: take the kernel's RTT if it has one, close with RST.
    private func complete(_ handle: SweepStateMachine.ProbeHandle, fd: Int32, at now: MonotonicInstant) {
        let monotonic = now.nanoseconds(since: startTimes[Int(handle.slot)])
        var info = cprobe_tcp_info()
        var rtt = monotonic
        var timing = TimingSource.monotonic
        if cprobe_get_tcp_info(fd, &info) == 0, info.rtt_us > 0 {
            let kernel = UInt64(info.rtt_us) * 1_000
            // The kernel's figure is the handshake alone; it cannot exceed what we saw around it.
            if kernel <= monotonic + 1_000 {
                rtt = kernel
                timing = .kernel
            }
        }
        try? Syscall.setAbortiveClose(fd)
        finish(handle, ProbeSample(index: 0, outcome: .open, rttNanoseconds: rtt, timing: timing))
    }

    private func sample(for error: Errno, sentAt: MonotonicInstant, at now: MonotonicInstant) -> ProbeSample {
        switch error {
        case .connectionRefused:
            return ProbeSample(index: 0, outcome: .refused, rttNanoseconds: now.nanoseconds(since: sentAt), timing: .monotonic)
        case .hostUnreachable, .networkUnreachable:
            return ProbeSample(index: 0, outcome: .unreachable(errno: error.name))
        case .timedOut:
            return ProbeSample(index: 0, outcome: .timeout)
        default:
            return ProbeSample(index: 0, outcome: .error(errno: error.name))
        }
    }

    /// Closes the probe's socket and reports the sample; forwards a target that became final.
    private func finish(_ handle: SweepStateMachine.ProbeHandle, _ sample: ProbeSample) {
        let slot = Int(handle.slot)
        if fds[slot] >= 0 {
            Syscall.close(fds[slot])
            fds[slot] = -1
        }
        if let done = machine.complete(handle, sample: sample) {
            onTarget(done.target, done.samples)
        }
    }

    private func closeAll() {
        for index in fds.indices where fds[index] >= 0 {
            Syscall.close(fds[index])
            fds[index] = -1
        }
    }
}
