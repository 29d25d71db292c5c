import FoundationEssentials
import ProbeSystem
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import CProbe

/// A TCP port on a loopback address, open (listening, accepting and closing at once) or closed
/// (bound but not listening, so connects get RST). For the demo and for tests.
///
/// Only loopback addresses (127.0.0.0/8, ::1) are accepted: it can never expose anything.
package final class LoopbackListener: Sendable {
    /// Whether the port accepts connections.
    package enum Kind: Sendable {
        /// Listening: handshakes complete.
        case open
        /// Bound, not listening: the kernel answers with RST.
        case closed
        /// Listening with a full accept queue that is never drained: the kernel drops new SYNs,
        /// so connects time out, as to a filtered port.
        case unresponsive
    }

    /// The bound address, with the port the kernel chose when 0 was asked.
    package let address: SocketAddress
    /// Open or closed.
    package let kind: Kind

    private struct State {
        var fd: Int32
        var fillers: [Int32] = []
        var stopped = false
    }
    private let state: Mutex<State>
    private let done = DispatchSemaphore(value: 0)

    /// Binds `host` (a loopback address) on `port` (0: any free port).
    package init(kind: Kind, host: String = "127.0.0.1", port: UInt16 = 0, backlog: Int32 = 4096) throws {
        guard let requested = SocketAddress(numericHost: host, port: port) else {
            throw LoopbackListenerError(message: "'\(host)' is not a numeric address")
        }
        guard requested.isLoopback else {
            throw LoopbackListenerError(message: "'\(host)' is not a loopback address")
        }
        let fd = try Syscall.socket(family: requested.protocolFamily, type: Int32(SOCK_STREAM.rawValue), protocol: 0)
        do {
            try Syscall.setIntOption(fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
            if requested.family == .inet6 {
                try Syscall.setIntOption(fd, level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, value: 1)
            }
            try Syscall.bind(fd, to: requested)
            switch kind {
            case .open: try Syscall.listen(fd, backlog: backlog)
            case .unresponsive: try Syscall.listen(fd, backlog: 0)
            case .closed: break
            }
            address = requested.withPort(try Syscall.localPort(fd, family: requested.family))
        } catch {
            Syscall.close(fd)
            throw error
        }
        self.kind = kind
        var fillers: [Int32] = []
        if kind == .unresponsive {
            // With backlog 0 the accept queue is full once it holds one connection: fill it.
            fillers.append(Self.connectAndWait(to: address))
        }
        state = Mutex(State(fd: fd, fillers: fillers))
        if kind == .open {
            DetachedThread.start(name: "probe-listener") { [self] in acceptLoop(fd) }
        } else {
            done.signal()
        }
    }

    /// Stops accepting and closes the port. Idempotent.
    package func close() {
        let fd = state.withLock { state -> Int32? in
            guard !state.stopped else { return nil }
            state.stopped = true
            return state.fd
        }
        guard let fd else { return }
        for filler in state.withLock({ $0.fillers }) where filler >= 0 { Syscall.close(filler) }
        if kind == .open {
            Syscall.shutdown(fd)  // wakes the blocked poll/accept
            done.wait()
        }
        Syscall.close(fd)
    }

    deinit { close() }

    /// A non-blocking connect to `address`, waiting up to 200 ms for the handshake.
    private static func connectAndWait(to address: SocketAddress) -> Int32 {
        guard let fd = try? Syscall.socket(family: address.protocolFamily, type: Int32(SOCK_STREAM.rawValue), protocol: 0)
        else { return -1 }
        _ = Syscall.connect(fd, to: address)
        _ = Syscall.poll(fd, events: Int16(POLLOUT), timeoutMilliseconds: 200)
        return fd
    }

    private func acceptLoop(_ fd: Int32) {
        defer { done.signal() }
        while !state.withLock({ $0.stopped }) {
            let events = Syscall.poll(fd, events: Int16(POLLIN), timeoutMilliseconds: 200)
            if events == 0 { continue }
            if events & Int16(POLLHUP | POLLERR | POLLNVAL) != 0, state.withLock({ $0.stopped }) { return }
            while let client = Syscall.accept(fd) { Syscall.close(client) }
        }
    }
}

/// A loopback listener could not be set up.
package struct LoopbackListenerError: Error, CustomStringConvertible {
    /// What went wrong.
    package var message: String
    /// The message.
    package var description: String { message }
}

extension SocketAddress {
    /// Whether this is a loopback address (127.0.0.0/8 or ::1).
    package var isLoopback: Bool {
        switch storage {
        case .v4(let sin):
            return UInt32(bigEndian: sin.sin_addr.s_addr) >> 24 == 127
        case .v6(let sin6):
            return withUnsafeBytes(of: sin6.sin6_addr) { bytes in
                bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1
            }
        }
    }
}
