import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Test support, not the product. A bare HTTP/1.1 listener on 127.0.0.1 for what a framework will not send: a gzip bomb, a body
/// that never ends, and a second origin that records every request it receives (to prove that no
/// credential reached it). Each connection gets a thread; `stop()` ends every loop within 100 ms.
public final class RawHTTPServer: @unchecked Sendable {
    /// A request as received: the head (request line and headers) and as much body as arrived.
    public struct Request: Sendable {
        public var head: String
        public var body: String
        public var text: String { head + "\r\n\r\n" + body }
    }

    public let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var requests: [Request] = []
    private var stopped = false
    private let respond: @Sendable (Request, Int32, RawHTTPServer) -> Void

    public var url: String { "http://127.0.0.1:\(port)" }
    public var received: [Request] { lock.withLock { requests } }
    public var isStopped: Bool { lock.withLock { stopped } }

    /// Listens now; `respond` writes the answer to the connection (which is closed after).
    public init(respond: @escaping @Sendable (Request, Int32, RawHTTPServer) -> Void) throws {
        self.respond = respond
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(listener, 64) == 0 else { throw CocoaError(.fileWriteUnknown) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        self.port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    public func stop() {
        lock.withLock { stopped = true }
    }

    private func acceptLoop() {
        defer { close(listener) }
        while !isStopped {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            Thread { [self] in
                defer { close(connection) }
                guard let request = Self.read(connection) else { return }
                lock.withLock { requests.append(request) }
                respond(request, connection, self)
            }.start()
        }
    }

    /// Reads the head, then the body as far as Content-Length says (at most 1 MiB, 2 s).
    private static func read(_ fd: Int32) -> Request? {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while data.count < 1 << 20 {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            data += buffer[..<count]
            let text = String(decoding: data, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = String(text[..<end.lowerBound])
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                let body = String(text[end.upperBound...])
                if body.utf8.count >= length { return Request(head: head, body: body) }
            }
        }
        return data.isEmpty ? nil : Request(head: String(decoding: data, as: UTF8.self), body: "")
    }

    /// Writes all of `bytes`; false once the peer has gone.
    @discardableResult
    public static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress.map { $0 + offset }, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    public static func send(_ fd: Int32, _ text: String) { send(fd, Array(text.utf8)) }

    /// A complete JSON answer.
    public static func json(_ fd: Int32, _ body: String, status: String = "200 OK") {
        send(fd, "HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
    }

    /// `size` bytes of zeros, gzip-compressed by Debian's gzip (1 GiB is about 1 MiB compressed),
    /// on a thread of its own: compressing a GiB takes seconds, which must not hold a thread of
    /// Swift's cooperative pool.
    public static func gzipBomb(size: Int) async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: "/bin/sh")
                    process.arguments = ["-c", "head -c \(size) /dev/zero | gzip -1"]
                    let pipe = Pipe()
                    process.standardOutput = pipe
                    try process.run()
                    let data = pipe.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    return Array(data)
                })
            }.start()
        }
    }
}
