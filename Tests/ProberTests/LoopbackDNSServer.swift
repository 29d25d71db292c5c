import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
@testable import Prober

/// A name server on 127.0.0.1 for tests: answers A and AAAA queries from a table after each
/// name's delay; unknown names get NXDOMAIN, names marked silent get nothing.
final class LoopbackDNSServer: @unchecked Sendable {
    struct Entry {
        var v4: [String] = []
        var v6: [String] = []
        var delayMilliseconds = 0
        var silent = false
        var rcode: DNSMessage.ResponseCode = .noError
    }

    let port: UInt16
    private let fd: Int32
    private let table: [String: Entry]
    private let queries = Mutex<[DNSMessage.Question]>([])
    private let stopping = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    private let sends = DispatchGroup()
    /// Answers held for their name's delay: when each is due, and how it is sent.
    private let delayed = Mutex<[(due: UInt64, send: @Sendable () -> Void)]>([])

    init(_ table: [String: Entry]) throws {
        self.table = table
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var buffer: Int32 = 4 << 20  // a burst of thousands of queries, as a real server takes it
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in serve() }
        thread.start()
        let sender = Thread { [self] in sendDelayed() }
        sender.start()
    }

    /// The configuration that sends every query here.
    var configuration: ResolverConfiguration {
        ResolverConfiguration(servers: [SocketAddress(numericHost: "127.0.0.1", port: port)].compactMap { $0 })
    }

    /// Every question received so far.
    var received: [DNSMessage.Question] { queries.withLock { $0 } }

    private func serve() {
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while !stopping.load(ordering: .relaxed) {
            var from = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let count = buffer.withUnsafeMutableBytes { bytes in
                withUnsafeMutablePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, bytes.baseAddress, bytes.count, 0, $0, &length) } }
            }
            guard count > 0, let question = DNSMessage.parseQuery(Array(buffer[0..<count])) else { continue }
            queries.withLock { $0.append(question) }
            let entry = table[question.name]
            if entry?.silent == true { continue }
            let texts = question.type == DNSMessage.RecordType.a.rawValue ? entry?.v4 ?? [] : entry?.v6 ?? []
            let addresses = texts.compactMap { text -> [UInt8]? in
                var bytes = [UInt8](repeating: 0, count: text.contains(":") ? 16 : 4)
                return inet_pton(text.contains(":") ? AF_INET6 : AF_INET, text, &bytes) == 1 ? bytes : nil
            }
            let rcode = entry.map(\.rcode) ?? .nameError
            let answer = DNSMessage.answer(to: question, rcode: rcode, addresses: addresses, ttl: 60)
            let delay = entry?.delayMilliseconds ?? 0
            let peer = from
            let peerLength = length
            let send: @Sendable () -> Void = { [fd] in
                var peer = peer
                _ = answer.withUnsafeBytes { bytes in
                    withUnsafePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes.baseAddress, bytes.count, 0, $0, peerLength) } }
                }
            }
            if delay == 0 {
                send()
            } else {
                // Held by the server's one sender thread, not a shared queue: under a loaded full
                // suite the global queue's threads can be busy for longer than a resolver's
                // timeout (and a thread per answer is slow to start a thousand of).
                sends.enter()
                let due = DispatchTime.now().uptimeNanoseconds + UInt64(delay) * 1_000_000
                delayed.withLock { $0.append((due, send)) }
            }
        }
        done.signal()
    }

    /// Sends each held answer when it is due, until stopped with nothing left to send.
    private func sendDelayed() {
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            let (due, left) = delayed.withLock { held -> ([@Sendable () -> Void], Int) in
                let ready = held.filter { $0.due <= now }.map(\.send)
                held.removeAll { $0.due <= now }
                return (ready, held.count)
            }
            for send in due {
                send()
                sends.leave()
            }
            if left == 0, due.isEmpty, stopping.load(ordering: .relaxed) { return }
            usleep(1_000)
        }
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        done.wait()
        sends.wait()  // no delayed answer goes out on a descriptor number reused after close
        close(fd)
    }
}
