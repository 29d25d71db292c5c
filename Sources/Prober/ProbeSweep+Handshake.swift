#if canImport(Glibc)
import Glibc
#endif
import CProbe
import ProbeSystem

/// What a handshake probe in flight holds beside its slot's descriptor.
struct HandshakeFlight {
    var conversation: any HandshakeConversation
    var overTCP: Bool
    /// The job this probe is a sample of.
    var job: Int
    /// Whether the socket is the job's own, kept for its next sample (WireGuard: a cookie is
    /// bound to the source port, so the retry that carries it must come from the same one).
    var keepsSocket: Bool
    /// Over TCP: the reset is sent once the connection is up; until then the probe waits to write.
    var sent: Bool
    /// Over TCP: what has arrived of the answer so far (2-byte length, then the packet).
    var stream: [UInt8] = []
}

/// Handshake probes (WireGuard, OpenVPN) on the sweep's reactor: one socket per probe, so the
/// kernel matches answers to it (a connected UDP socket takes datagrams from that server only,
/// and reports its port unreachable as `ECONNREFUSED`). The attempt's packet is built before the
/// send time is taken; the answer's time is the kernel's receive timestamp (`SO_TIMESTAMPNS`),
/// and it is verified after that (a forged or stray packet is never counted). A server's samples
/// run one at a time, each at least ``minimumSpacingNanoseconds`` after the last one ended (WireGuard's responders drop an
/// initiation from the same peer that comes within 20 ms of the last).
extension ProbeSweep {
    /// The least time between two handshakes with one server, whatever `--interval` says.
    static let minimumSpacingNanoseconds: UInt64 = 25_000_000

    func startHandshake(_ handle: SweepStateMachine.ProbeHandle, job: Int, reactor: Reactor) {
        guard let (conversation, port, overTCP) = handshakeFor?(job) else {
            finish(handle, ProbeSample(index: 0, outcome: .error(errno: "ENOPROTOOPT")))
            return
        }
        let address = addresses[jobs[job].position].withPort(port)
        let keepsSocket = !overTCP && jobs[job].kind == .wireguard
        let slot = Int(handle.slot)
        if keepsSocket, let fd = jobSockets[job] {
            // The job's socket from its last sample: what arrived since (a late answer) is dropped.
            while case .success = receiveBuffer.withUnsafeMutableBytes({ Syscall.receive(fd, into: $0) }) {}
            fds[slot] = fd
            watchAndSend(handle, fd: fd, flight: HandshakeFlight(conversation: conversation, overTCP: false, job: job, keepsSocket: true, sent: true),
                         reactor: reactor)
            return
        }
        let fd: Int32
        do {
            fd = try Syscall.socket(family: address.protocolFamily, type: Int32(overTCP ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue), protocol: 0)
        } catch {
            if error == .tooManyOpenFiles || error == .tooManyOpenFilesInSystem || error == .noBufferSpace {
                if machine.requeue(handle, now: .now()) { return }
            }
            finish(handle, ProbeSample(index: 0, outcome: .error(errno: error.name)))
            return
        }
        fds[slot] = fd
        try? Syscall.setIntOption(fd, level: SOL_SOCKET, name: SO_TIMESTAMPNS, value: 1)
        let error = Syscall.connect(fd, to: address)
        if let error, error != .inProgress, error != .interrupted {
            finish(handle, handshakeFailure(error))
            return
        }
        var flight = HandshakeFlight(conversation: conversation, overTCP: overTCP, job: job, keepsSocket: keepsSocket, sent: false)
        if !overTCP || error == nil {
            // UDP (connected at once), or TCP already connected: send now. A WireGuard job keeps
            // this socket for its next samples (only once it is connected).
            if keepsSocket { jobSockets[job] = fd }
            flight.sent = true
            watchAndSend(handle, fd: fd, flight: flight, reactor: reactor)
            return
        }
        flights[slot] = flight
        startTimes[slot] = .now()
        do {
            try reactor.add(fd, events: CPROBE_EPOLLOUT, data: handle.packed)
        } catch {
            finish(handle, ProbeSample(index: 0, outcome: .error(errno: error.name)))
        }
    }

    /// Waits for the answer on `fd` and sends the attempt.
    private func watchAndSend(_ handle: SweepStateMachine.ProbeHandle, fd: Int32, flight: HandshakeFlight, reactor: Reactor) {
        flights[Int(handle.slot)] = flight
        do {
            try reactor.add(fd, events: CPROBE_EPOLLIN, data: handle.packed)
        } catch {
            finish(handle, ProbeSample(index: 0, outcome: .error(errno: error.name)))
            return
        }
        send(handle, fd: fd, flight: flight)
    }

    /// Builds the attempt (all its cryptography), then takes the send time and sends it.
    private func send(_ handle: SweepStateMachine.ProbeHandle, fd: Int32, flight: HandshakeFlight) {
        var packet = flight.conversation.nextAttempt()
        guard !packet.isEmpty else {
            finish(handle, ProbeSample(index: 0, outcome: .error(errno: "EINVAL")))
            return
        }
        if flight.overTCP { packet = [UInt8(truncatingIfNeeded: packet.count >> 8), UInt8(truncatingIfNeeded: packet.count)] + packet }
        let sentAt = MonotonicInstant.now()
        startTimes[Int(handle.slot)] = sentAt
        switch packet.withUnsafeBytes({ Syscall.send(fd, $0) }) {
        case .failure(let error): finish(handle, handshakeFailure(error))
        case .success(let count) where count != packet.count: finish(handle, handshakeFailure(.noBufferSpace))
        case .success: break
        }
    }

    func handleHandshakeEvent(_ handle: SweepStateMachine.ProbeHandle, events: UInt32, reactor: Reactor?) {
        let slot = Int(handle.slot)
        guard let flight = flights[slot] else { return }
        let fd = fds[slot]
        if !flight.sent {
            // TCP: the connection is up (or failed); send the reset and wait for the answer.
            let pending = (try? Syscall.pendingError(fd)) ?? 0
            guard pending == 0, events & CPROBE_EPOLLOUT != 0 else {
                finish(handle, handshakeFailure(pending == 0 ? .connectionReset : Errno(rawValue: pending)))
                return
            }
            flights[slot]?.sent = true
            do {
                try reactor?.modify(fd, events: CPROBE_EPOLLIN, data: handle.packed)
            } catch {
                finish(handle, ProbeSample(index: 0, outcome: .error(errno: error.name)))
                return
            }
            send(handle, fd: fd, flight: flight)
            return
        }
        var from = sockaddr_storage()
        var info = cprobe_recv_info()
        var offset: Int64?
        while machine.isCurrent(handle) {
            let count = receiveBuffer.withUnsafeMutableBytes { buffer in
                Syscall.receiveMessage(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<min(buffer.count, 65_536)]),
                                       from: &from, errorQueue: false, info: &info)
            }
            if count < 0 {
                let error = Errno.current
                if error == .interrupted { continue }
                if error != .wouldBlock { finish(handle, handshakeFailure(error)) }
                return
            }
            let arrivedAt = MonotonicInstant.now()
            if flight.overTCP, count == 0 {
                finish(handle, handshakeFailure(.connectionReset))  // closed without an answer
                return
            }
            var packets: [ArraySlice<UInt8>] = []
            if flight.overTCP {
                flights[slot]?.stream += receiveBuffer[0..<count]
                // Only the first packet matters; a server that sends more than one is cut short.
                guard let stream = flights[slot]?.stream, stream.count >= 2 else { continue }
                let length = Int(stream[0]) << 8 | Int(stream[1])
                // A reset is a few dozen bytes: anything long is not one.
                guard length <= 4_096 else {
                    finish(handle, ProbeSample(index: 0, outcome: .error(errno: "EPROTO")))
                    return
                }
                guard stream.count >= 2 + length else { continue }
                packets.append(stream[2..<(2 + length)])
                flights[slot]?.stream = Array(stream.dropFirst(2 + length))
            } else {
                packets.append(receiveBuffer[0..<count])
            }
            for packet in packets {
                let verdict = flight.conversation.check(packet)
                guard verdict != .foreign else { continue }
                let (rtt, timing) = Self.roundTrip(sentAt: startTimes[slot], arrivedAt: arrivedAt, info: info, offset: &offset)
                finish(handle, ProbeSample(index: 0, outcome: verdict == .cookie ? .cookie : .handshake, rttNanoseconds: rtt, timing: timing))
                return
            }
        }
    }

    /// A handshake that failed at the socket: nothing listening (the port's ICMP unreachable, a
    /// TCP refusal) means the service is not there, which is not an answer from it.
    private func handshakeFailure(_ error: Errno) -> ProbeSample {
        switch error {
        case .connectionRefused, .hostUnreachable, .networkUnreachable:
            ProbeSample(index: 0, outcome: .unreachable(errno: error.name))
        case .timedOut:
            ProbeSample(index: 0, outcome: .timeout)
        default:
            ProbeSample(index: 0, outcome: .error(errno: error.name))
        }
    }
}
