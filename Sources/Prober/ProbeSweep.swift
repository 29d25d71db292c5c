import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import CProbe
import ProbeSystem

/// One thing a sweep does: probe the address at `position` with `kind`.
struct ProbeJob: Hashable {
    var position: Int
    var kind: ProbeKind
}

/// The I/O shell of a sweep: drives a ``SweepStateMachine`` on one ``Reactor`` thread.
///
/// TCP: non-blocking `connect`, `EPOLLOUT`, `SO_ERROR` (as NIOPosix does); RTT from the kernel
/// (`TCP_INFO` `tcpi_rtt`) when it has a sample, else `CLOCK_MONOTONIC` around the calls. Open
/// sockets are closed with `SO_LINGER` 0 (RST), so no TIME_WAIT piles up.
///
/// ICMP: one socket per address family for the whole sweep; see `ProbeSweep+ICMP.swift`.
final class ProbeSweep {
    private(set) var addresses: [SocketAddress]
    private(set) var jobs: [ProbeJob]
    let options: ProbeOptions
    private let control: SweepControl
    private let onJob: (Int, [ProbeSample]) -> Void
    private let beforeWaiting: () -> Void
    /// For an early answer: given a job that just became final and its samples, the time after
    /// which an unanswered probe can no longer beat it (nanoseconds), or `nil`.
    var cutoff: ((Int, [ProbeSample]) -> UInt64?)?
    /// Runs at the top of every turn of the loop, on the reactor thread: where work handed over
    /// while the sweep runs is applied (``add(address:kinds:spec:)``, ``drop(job:)``).
    var beforeActions: (() -> Void)?
    /// Handles an event of a descriptor the sweep does not own (the name resolver's sockets, whose
    /// user data lies in the reserved range at the top); returns whether it did.
    var otherEvent: ((UInt64) -> Bool)?
    /// When work beside the probes (name lookups) next needs the reactor.
    var otherDeadline: (() -> MonotonicInstant?)?
    /// Whether the sweep stays open for more work once every job is final (see ``SweepStateMachine/holdOpen``).
    var holdOpen = false {
        didSet { machine.holdOpen = holdOpen }
    }

    var machine: SweepStateMachine
    var fds: [Int32]
    var startTimes: [MonotonicInstant]
    private(set) var descriptorRetries = 0
    /// What this sweep may use, resolved once when it runs.
    private(set) var budget = SweepBudget.resolve(options: ProbeOptions(), probes: 0, descriptorRoom: nil)
    /// The eventfd was read since the top of the loop: handed-over work waits there.
    private var wakePending = false

    // ICMP state (ProbeSweep+ICMP.swift).
    var icmpSockets: [ICMPSocket?]  // [IPv4, IPv6]
    let cookie: UInt64
    let rawIdentifier: UInt16
    var nextSequence: UInt16 = 0
    var sequences: [UInt16]
    var sequenceOwner: [UInt64]
    var receiveBuffer: [UInt8] = []

    // Handshake state (ProbeSweep+Handshake.swift).
    /// What a handshake job speaks with (its conversation, the service's port, TCP or UDP).
    var handshakeFor: ((Int) -> (conversation: any HandshakeConversation, port: UInt16, overTCP: Bool)?)?
    /// Handshake probes in flight, by slot.
    var flights: [Int: HandshakeFlight] = [:]
    /// WireGuard jobs' own sockets, kept from one sample to the next (closed when the job ends).
    var jobSockets: [Int: Int32] = [:]
    /// The reactor while ``run(reactor:)`` runs (a TCP handshake changes what it waits for).
    var currentReactor: Reactor?

    /// A sweep of `jobs` over `addresses` (already resolved). `onJob` gets each job's samples
    /// as soon as they are final, on the reactor thread; `beforeWaiting` runs each time the
    /// reactor is about to block (the moment to hand a batch of results over).
    init(
        addresses: [SocketAddress], jobs: [ProbeJob], options: ProbeOptions, icmpSockets: [ICMPSocket?],
        control: SweepControl, onJob: @escaping (Int, [ProbeSample]) -> Void, beforeWaiting: @escaping () -> Void = {}
    ) {
        self.addresses = addresses
        self.jobs = jobs
        self.options = options
        self.icmpSockets = icmpSockets
        self.control = control
        self.onJob = onJob
        self.beforeWaiting = beforeWaiting
        var random = SystemRandomNumberGenerator()
        cookie = random.next()
        rawIdentifier = UInt16(truncatingIfNeeded: random.next())
        machine = SweepStateMachine(targetCount: 0, options: options, cap: 1, start: .now())
        fds = []
        startTimes = []
        sequences = []
        sequenceOwner = []
        Self.instances.add(1, ordering: .relaxed)
    }

    deinit { Self.instances.subtract(1, ordering: .relaxed) }

    /// Sweeps alive in this process: none once every sweep has ended (a sweep kept alive by its own
    /// hooks would keep its tables for the life of a long-running process).
    static let instances = Atomic<Int>(0)

    /// Runs to the end (or until cancelled) on the calling thread. Returns whether it was cancelled.
    func run(reactor: Reactor) throws(Errno) -> Bool {
        // TCP and handshake probes each hold a descriptor while in flight.
        let usesTCP = jobs.contains { $0.kind != .icmp }
        // ICMP probes hold no descriptor. What the descriptor limit leaves is read once
        // (/proc/self/fd is listed for it); the budget is resolved from it once, here.
        let room = usesTCP ? FileDescriptorBudget.cap(requested: InFlightBudget.maximumInFlight) : nil
        budget = SweepBudget.resolve(options: options, probes: jobs.count * max(1, options.samples), descriptorRoom: room)
        machine = SweepStateMachine(targetCount: jobs.count, budget: budget, samples: options.samples, rate: options.rate, start: .now())
        machine.holdOpen = holdOpen
        for (number, job) in jobs.enumerated() where job.kind.isHandshake {
            machine.makeSerial(number, minimumIntervalNanoseconds: Self.minimumSpacingNanoseconds)
        }
        fds = Array(repeating: -1, count: machine.slotCount)
        startTimes = Array(repeating: MonotonicInstant(nanoseconds: 0), count: machine.slotCount)
        sequences = Array(repeating: 0, count: machine.slotCount)
        // ICMP's tables only where an ICMP socket runs: a TCP sweep does not carry 576 KB of them.
        if icmpSockets.contains(where: { $0 != nil }) {
            sequenceOwner = Array(repeating: .max, count: 65_536)
            receiveBuffer = [UInt8](repeating: 0, count: 65_536)
        }
        if handshakeFor != nil, receiveBuffer.isEmpty { receiveBuffer = [UInt8](repeating: 0, count: 65_536) }
        currentReactor = reactor
        defer { currentReactor = nil }
        for (family, socket) in icmpSockets.enumerated() {
            if let socket { try reactor.add(socket.fd, events: CPROBE_EPOLLIN, data: Self.icmpData(v6: family == 1)) }
        }
        defer { closeAll() }
        while true {
            if control.isCancelled { return true }
            wakePending = false
            beforeActions?()
            var waitUntil: MonotonicInstant?
            var burst = 0
            var polled = false
            actions: while true {
                // The clock is read for every action: in a burst of thousands of sends, deadlines and
                // cutoffs count from each probe's own start.
                switch machine.nextAction(now: .now()) {
                case .start(let handle, let job, _):
                    growSlotStorage(to: machine.slotCount)
                    // In a long burst (rate 0), read what has answered every 64 starts: answers are
                    // handed over (and a cutoff takes effect) while the burst goes on.
                    burst += 1
                    if burst % 64 == 0 {
                        try reactor.wait(block: false) { data, events in dispatch(data, events) }
                        beforeWaiting()
                    }
                    switch jobs[job].kind {
                    case .tcp: startTCP(handle, address: addresses[jobs[job].position], reactor: reactor)
                    case .icmp: startICMP(handle, address: addresses[jobs[job].position])
                    case .wireguard, .openvpn: startHandshake(handle, job: job, reactor: reactor)
                    }
                case .expire(let handle):
                    // An answer that arrived while this thread was not running counts (its kernel
                    // timestamp says when): read what is ready before calling anything lost.
                    if !polled { polled = true; try reactor.wait(block: false) { data, events in dispatch(data, events) } }
                    finish(handle, ProbeSample(index: 0, outcome: .timeout))
                case .prune(let handle):
                    if !polled { polled = true; try reactor.wait(block: false) { data, events in dispatch(data, events) } }
                    finish(handle, ProbeSample(index: 0, outcome: .pruned))
                case .wait(let until):
                    waitUntil = until
                    break actions
                case .finished:
                    return false
                }
            }
            if let other = otherDeadline?(), other < (waitUntil ?? MonotonicInstant(nanoseconds: .max)) { waitUntil = other }
            // A wake-up read during the burst (work handed over) is taken at the top of the loop now,
            // not after a block that nothing else might end (every probe may already be final).
            if wakePending {
                beforeWaiting()
                continue
            }
            try reactor.arm(waitUntil)
            beforeWaiting()
            try reactor.wait { data, events in dispatch(data, events) }
        }
    }

    private func dispatch(_ data: UInt64, _ events: UInt32) {
        switch data {
        case Reactor.wakeData: wakePending = true
        case Reactor.timerData: return
        case Self.icmpData(v6: false): receiveICMP(v6: false, events: events)
        case Self.icmpData(v6: true): receiveICMP(v6: true, events: events)
        case (.max - 64)...: _ = otherEvent?(data)
        default:
            let handle = SweepStateMachine.ProbeHandle(packed: data)
            guard machine.isCurrent(handle) else { return }  // stale: the slot was reused since
            if jobs[machine.target(of: handle)].kind.isHandshake {
                handleHandshakeEvent(handle, events: events, reactor: currentReactor)
            } else {
                handleTCPEvent(handle, events: events)
            }
        }
    }

    /// Adds a job for each of `kinds` on `address` while the sweep runs; returns their numbers.
    /// (TCP jobs need no more than the sweep has: the in-flight limit already fits `ulimit -n`.)
    func add(address: SocketAddress, kinds: [ProbeKind], spec: SweepStateMachine.JobSpec) -> [Int] {
        let position = addresses.count
        addresses.append(address)
        let numbers = Array(machine.add(Array(repeating: spec, count: kinds.count), now: .now()))
        for (number, kind) in zip(numbers, kinds) {
            jobs.append(ProbeJob(position: position, kind: kind))
            if kind.isHandshake { machine.makeSerial(number, minimumIntervalNanoseconds: Self.minimumSpacingNanoseconds) }
        }
        return numbers
    }

    /// Gives up on `job` (its probes in flight are closed; it reports nothing).
    func drop(job: Int) { machine.drop(job) }

    /// Slots may grow while the sweep runs (jobs added): the per-slot tables grow with them.
    private func growSlotStorage(to count: Int) {
        guard count > fds.count else { return }
        let extra = count - fds.count
        fds += Array(repeating: -1, count: extra)
        startTimes += Array(repeating: MonotonicInstant(nanoseconds: 0), count: extra)
        sequences += Array(repeating: 0, count: extra)
    }

    /// Epoll user data for the ICMP sockets (below the reactor's own reserved values).
    static func icmpData(v6: Bool) -> UInt64 { v6 ? .max - 3 : .max - 2 }

    /// Figures for the summary.
    var peakInFlight: Int { machine.peakInFlight }
    var probesStarted: Int { machine.started }
    var effectiveCap: Int { machine.cap }
    /// Why the in-flight figure in force at the end is not what the options asked for (`nil`: it is).
    var inFlightReason: String? {
        if machine.cap < budget.inFlight, descriptorRetries > 0 {
            return "\(budget.requestedInFlight) asked; lowered to \(machine.cap) when the system ran out of descriptors (\(descriptorRetries) probe(s) retried)"
        }
        return budget.reason
    }
    var prunedCount: Int { machine.prunedCount }

    // MARK: - TCP

    private func startTCP(_ handle: SweepStateMachine.ProbeHandle, address: SocketAddress, reactor: Reactor) {
        let fd: Int32
        let family = address.family == .inet6 ? 1 : 0
        let recycled = spareSockets[family].popLast()
        do {
            if let recycled {
                fd = recycled
            } else {
                fd = try Syscall.socket(family: address.protocolFamily, type: Int32(SOCK_STREAM.rawValue), protocol: 0)
            }
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
        guard var error = Syscall.connect(fd, to: address) else {
            completeTCP(handle, fd: fd, at: .now())
            return
        }
        if error == .interrupted { error = .inProgress }  // the connect goes on asynchronously
        if error == .inProgress {
            // A refusal from this machine (loopback, a local firewall's reject) is already known when
            // connect returns: the kernel ran the peer's side in the same call. Read it now and spare
            // the socket its epoll registration and wake-up; elsewhere this finds nothing and costs
            // one getsockopt.
            if let pending = try? Syscall.pendingError(fd), pending != 0 {
                let now = MonotonicInstant.now()
                recycle(slot: slot, family: family)
                finish(handle, sample(for: Errno(rawValue: pending), sentAt: sentAt, at: now))
                return
            }
            do {
                try reactor.add(fd, events: CPROBE_EPOLLOUT, data: handle.packed)
            } catch {
                finish(handle, ProbeSample(index: 0, outcome: .error(errno: error.name)))
            }
            return
        }
        if error == .connectionAborted, recycled != nil {
            // A recycled socket that still remembered its last refusal: use a fresh one (once: a
            // fresh socket never comes from the spares).
            Syscall.close(fd)
            fds[slot] = -1
            startTCP(handle, address: address, reactor: reactor)
            return
        }
        finish(handle, sample(for: error, sentAt: sentAt, at: .now()))
    }

    /// Keeps the refused socket in `slot` for the next probe of its family instead of closing it:
    /// `connect(AF_UNSPEC)` returns it to the unconnected state (it was never registered with
    /// epoll), which spares a `socket` and a `close` per refused probe, a third of the kernel's
    /// work when refusals come back as fast as loopback's.
    private func recycle(slot: Int, family: Int) {
        let fd = fds[slot]
        guard fd >= 0 else { return }
        fds[slot] = -1
        if spareSockets[family].count < Self.maximumSpareSockets, Syscall.disconnect(fd) {
            spareSockets[family].append(fd)
        } else {
            Syscall.close(fd)
        }
    }

    /// Refused sockets kept for reuse, per family ([IPv4, IPv6]).
    private var spareSockets: [[Int32]] = [[], []]
    private static let maximumSpareSockets = 8

    /// (`dispatch` has checked that `handle` is current.)
    private func handleTCPEvent(_ handle: SweepStateMachine.ProbeHandle, events: UInt32) {
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
                completeTCP(handle, fd: fd, at: now)
            } else {
                finish(handle, ProbeSample(index: 0, outcome: .error(errno: "EPOLLHUP")))
            }
            return
        }
        let error = Errno(rawValue: pending)
        if error == .connectionReset || error == .brokenPipe {
            // Only an established connection can be reset: the handshake completed, then the peer
            // closed abortively before we saw EPOLLOUT. The port is open.
            completeTCP(handle, fd: fd, at: now)
            return
        }
        finish(handle, sample(for: error, sentAt: startTimes[Int(handle.slot)], at: now))
    }

    /// The handshake completed: take the kernel's RTT if it has one, close with RST.
    private func completeTCP(_ handle: SweepStateMachine.ProbeHandle, fd: Int32, at now: MonotonicInstant) {
        let monotonic = now.nanoseconds(since: startTimes[Int(handle.slot)])
        var rtt = monotonic
        var timing = TimingSource.monotonic
        if let microseconds = Syscall.tcpRoundTripMicroseconds(fd) {
            let kernel = UInt64(microseconds) * 1_000
            // The kernel's figure is the handshake alone; it cannot exceed what we saw around it.
            if kernel <= monotonic + 1_000 {
                rtt = kernel
                timing = .kernel
            }
        }
        try? Syscall.setAbortiveClose(fd)
        finish(handle, ProbeSample(index: 0, outcome: .open, rttNanoseconds: rtt, timing: timing))
    }

    func sample(for error: Errno, sentAt: MonotonicInstant, at now: MonotonicInstant) -> ProbeSample {
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

    // MARK: - Common

    /// Ends the probe behind `handle`: closes its socket (TCP), frees its sequence number (ICMP),
    /// reports the sample, and forwards a job that became final.
    func finish(_ handle: SweepStateMachine.ProbeHandle, _ sample: ProbeSample) {
        let slot = Int(handle.slot)
        var keptFor: Int?
        var ended: MonotonicInstant?  // a handshake's end: its server's next sample is spaced from it
        if !flights.isEmpty, let flight = flights.removeValue(forKey: slot) {
            ended = .now()
            if fds[slot] >= 0, flight.overTCP { try? Syscall.setAbortiveClose(fds[slot]) }  // an OpenVPN connection over TCP ends with RST
            if fds[slot] >= 0, flight.keepsSocket, jobSockets[flight.job] == fds[slot] {
                // The job's socket waits for its next sample, unwatched.
                try? currentReactor?.remove(fds[slot])
                fds[slot] = -1
                keptFor = flight.job
            }
        }
        if fds[slot] >= 0 {
            Syscall.close(fds[slot])
            fds[slot] = -1
        }
        let sequence = Int(sequences[slot])
        if !sequenceOwner.isEmpty, sequenceOwner[sequence] == handle.packed { sequenceOwner[sequence] = .max }
        let completed = machine.complete(handle, sample: sample, now: ended)
        if let job = keptFor, completed != nil || !machine.hasSamplesLeft(job), let fd = jobSockets.removeValue(forKey: job) {
            Syscall.close(fd)  // the job's last sample: its socket goes
        }
        if let done = completed {
            if let cutoff, let bound = cutoff(done.target, done.samples) { machine.tighten(cutoffNanoseconds: bound) }
            onJob(done.target, done.samples)
        }
    }

    private func closeAll() {
        let inFlight = Set(fds.filter { $0 >= 0 })
        for fd in jobSockets.values where !inFlight.contains(fd) { Syscall.close(fd) }
        jobSockets = [:]
        for index in fds.indices where fds[index] >= 0 {
            Syscall.close(fds[index])
            fds[index] = -1
        }
        for fd in spareSockets.joined() { Syscall.close(fd) }
        spareSockets = [[], []]
    }
}
