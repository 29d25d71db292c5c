#if canImport(Glibc)
import Glibc
#endif
import CProbe
import ProbeSystem

/// ICMP echo on the sweep's reactor: one socket per address family for the whole run.
///
/// A reply is ours only when its cookie (random per run), handle (slot and generation),
/// sequence, source address and, on raw sockets, identifier all match; replies to other
/// programs' pings on the same host are dropped. Its RTT is the kernel's receive timestamp
/// (`SO_TIMESTAMPNS`, moved from `CLOCK_REALTIME` to `CLOCK_MONOTONIC` with an offset read at
/// that moment) minus the monotonic time taken right before `sendto`. Sequence numbers are
/// per probe, unique among those in flight, and never limit throughput.
extension ProbeSweep {
    func startICMP(_ handle: SweepStateMachine.ProbeHandle, address: SocketAddress) {
        let v6 = address.family == .inet6
        guard let socket = icmpSockets[v6 ? 1 : 0] else {
            finish(handle, ProbeSample(index: 0, outcome: .error(errno: "EPERM")))
            return
        }
        // The next sequence number not owned by a probe in flight (at most 65,536 are).
        while sequenceOwner[Int(nextSequence)] != .max { nextSequence &+= 1 }
        let sequence = nextSequence
        nextSequence &+= 1
        let slot = Int(handle.slot)
        sequences[slot] = sequence
        sequenceOwner[Int(sequence)] = handle.packed
        let message = ICMPCodec.echoRequest(
            v6: v6, identifier: socket.kind == .raw ? rawIdentifier : 0, sequence: sequence, cookie: cookie,
            handle: handle.packed)
        let sentAt = MonotonicInstant.now()
        startTimes[slot] = sentAt
        if let error = socket.send(message, to: address) {
            if error == .wouldBlock || error == .noBufferSpace {
                // The socket's send queue is full: try again shortly rather than call it lost.
                if machine.requeue(handle, now: sentAt) { return }
            }
            finish(handle, sample(for: error, sentAt: sentAt, at: sentAt))
        }
    }

    func receiveICMP(v6: Bool, events: UInt32) {
        guard let socket = icmpSockets[v6 ? 1 : 0] else { return }
        if events & CPROBE_EPOLLERR != 0 { drainErrorQueue(socket) }
        var from = sockaddr_storage()
        var info = cprobe_recv_info()
        var offset: Int64?  // realtime minus monotonic, read once per batch
        while true {
            let count = receiveBuffer.withUnsafeMutableBytes { buffer in
                Syscall.receiveMessage(socket.fd, into: buffer, from: &from, errorQueue: false, info: &info)
            }
            if count < 0 {
                if Errno.current == .interrupted { continue }
                return  // EAGAIN: drained
            }
            let arrivedAt = MonotonicInstant.now()
            guard let message = ICMPCodec.parse(
                receiveBuffer[0..<count], v6: v6, includesIPHeader: socket.kind == .raw && !v6)
            else { continue }
            let source = SocketAddress(storage: from)
            switch message {
            case .echoReply(let identifier, let sequence, let replyCookie, let replyHandle):
                guard replyCookie == cookie, let packed = replyHandle else { continue }
                let handle = SweepStateMachine.ProbeHandle(packed: packed)
                guard machine.isCurrent(handle), sequences[Int(handle.slot)] == sequence,
                      socket.kind == .ping || identifier == rawIdentifier,
                      let source, source.sameHost(as: addresses[jobs[machine.target(of: handle)].position])
                else { continue }
                let (rtt, timing) = Self.roundTrip(sentAt: startTimes[Int(handle.slot)], arrivedAt: arrivedAt, info: info, offset: &offset)
                finish(handle, ProbeSample(index: 0, outcome: .reply, rttNanoseconds: rtt, timing: timing))
            case .error(let error, let identifier, let sequence, let errorCookie, let errorHandle, let destination):
                guard let handle = owner(sequence: sequence, cookie: errorCookie, handle: errorHandle) else { continue }
                let target = addresses[jobs[machine.target(of: handle)].position]
                guard socket.kind == .ping || identifier == rawIdentifier,
                      destination.map({ target.hostBytes == $0 }) ?? true
                else { continue }
                finish(handle, ProbeSample(index: 0, outcome: .unreachable(errno: error.name)))
            }
        }
    }

    /// Ping sockets report ICMP errors (and local ones) on the error queue, quoting our request.
    private func drainErrorQueue(_ socket: ICMPSocket) {
        var from = sockaddr_storage()
        var info = cprobe_recv_info()
        while true {
            let count = receiveBuffer.withUnsafeMutableBytes { buffer in
                Syscall.receiveMessage(socket.fd, into: buffer, from: &from, errorQueue: true, info: &info)
            }
            if count < 0 {
                if Errno.current == .interrupted { continue }
                return
            }
            guard info.has_error != 0 else { continue }
            let quoted = receiveBuffer[0..<count]
            let outcome: ProbeOutcome
            if info.error_origin == 2 || info.error_origin == 3 {  // SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6
                let error = ICMPCodec.ICMPError(v6: socket.v6, type: info.error_type, code: info.error_code)
                outcome = .unreachable(errno: error.name)
            } else {
                let error = Errno(rawValue: Int32(bitPattern: info.error_errno))
                outcome = error == .hostUnreachable || error == .networkUnreachable
                    ? .unreachable(errno: error.name) : .error(errno: error.name)
            }
            let probe = ICMPCodec.ICMPError(v6: socket.v6, type: 0, code: 0)
            guard case .error(_, _, let sequence, let errorCookie, let errorHandle, _)? =
                    ICMPCodec.parseQueuedError(quoted, error: probe),
                  let handle = owner(sequence: sequence, cookie: errorCookie, handle: errorHandle)
            else { continue }
            finish(handle, ProbeSample(index: 0, outcome: outcome))
        }
    }

    /// The probe an ICMP error is about: by its token when the quote holds it, else by sequence.
    private func owner(sequence: UInt16, cookie errorCookie: UInt64?, handle errorHandle: UInt64?) -> SweepStateMachine.ProbeHandle? {
        if errorCookie == cookie, let packed = errorHandle {
            let handle = SweepStateMachine.ProbeHandle(packed: packed)
            return machine.isCurrent(handle) && sequences[Int(handle.slot)] == sequence ? handle : nil
        }
        let packed = sequenceOwner[Int(sequence)]
        guard packed != .max else { return nil }
        let handle = SweepStateMachine.ProbeHandle(packed: packed)
        return machine.isCurrent(handle) ? handle : nil
    }

    /// A datagram's RTT: its kernel receive timestamp (realtime, moved to the monotonic clock with
    /// `offset`, read once per batch) minus the send time, when the kernel gave one that lies
    /// between the send and our read (anything else is a clock step); else the monotonic time of
    /// the read.
    static func roundTrip(sentAt: MonotonicInstant, arrivedAt: MonotonicInstant, info: cprobe_recv_info, offset: inout Int64?) -> (UInt64, TimingSource) {
        let monotonic = arrivedAt.nanoseconds(since: sentAt)
        guard info.has_timestamp != 0 else { return (monotonic, .monotonic) }
        if offset == nil { offset = realtimeOffset() }
        let kernelMonotonic = (info.timestamp_sec &* 1_000_000_000 &+ info.timestamp_nsec) &- (offset ?? 0)
        let measured = kernelMonotonic &- Int64(bitPattern: sentAt.nanoseconds)
        guard measured > 0, UInt64(measured) <= monotonic + 1_000 else { return (monotonic, .monotonic) }
        return (UInt64(measured), .kernel)
    }

    /// `CLOCK_REALTIME` minus `CLOCK_MONOTONIC`, in nanoseconds, read now (kernel timestamps are
    /// realtime; probe measures on the monotonic clock). The realtime read is bracketed by two
    /// monotonic reads and retried until they are close: a preemption between the reads would
    /// otherwise shift every RTT converted with this offset by the time the thread was away.
    static func realtimeOffset() -> Int64 {
        var best: (spread: Int64, offset: Int64) = (.max, 0)
        for _ in 0..<8 {
            var before = timespec(), real = timespec(), after = timespec()
            clock_gettime(CLOCK_MONOTONIC, &before)
            clock_gettime(CLOCK_REALTIME, &real)
            clock_gettime(CLOCK_MONOTONIC, &after)
            let monoBefore = Int64(before.tv_sec) * 1_000_000_000 + Int64(before.tv_nsec)
            let monoAfter = Int64(after.tv_sec) * 1_000_000_000 + Int64(after.tv_nsec)
            let realNow = Int64(real.tv_sec) * 1_000_000_000 + Int64(real.tv_nsec)
            let spread = monoAfter - monoBefore
            let offset = realNow - (monoBefore + spread / 2)
            if spread < best.spread { best = (spread, offset) }
            if spread < 2_000 { break }  // both reads within 2 µs: good to the microsecond
        }
        return best.offset
    }
}

extension SocketAddress {
    /// From a `sockaddr_storage` filled by the kernel.
    init?(storage: sockaddr_storage) {
        var copy = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            self.storage = .v4(withUnsafeBytes(of: &copy) { $0.loadUnaligned(as: sockaddr_in.self) })
        case AF_INET6:
            self.storage = .v6(withUnsafeBytes(of: &copy) { $0.loadUnaligned(as: sockaddr_in6.self) })
        default:
            return nil
        }
    }

    /// The address bytes, without port or scope (4 or 16).
    var hostBytes: [UInt8] {
        switch storage {
        case .v4(let sin): withUnsafeBytes(of: sin.sin_addr) { Array($0) }
        case .v6(let sin6): withUnsafeBytes(of: sin6.sin6_addr) { Array($0) }
        }
    }

    /// Whether both name the same host (ports ignored); no allocation, it runs once per reply.
    func sameHost(as other: SocketAddress) -> Bool {
        switch (storage, other.storage) {
        case (.v4(let a), .v4(let b)):
            return a.sin_addr.s_addr == b.sin_addr.s_addr
        case (.v6(var a), .v6(var b)):
            return memcmp(&a.sin6_addr, &b.sin6_addr, MemoryLayout<in6_addr>.size) == 0
        default:
            return false
        }
    }
}
