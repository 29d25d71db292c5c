import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import ProbeCommandLine
import ProbeKit
import Synchronization

/// `probe serve`'s defences against its clients, wired to the listener: ``ConnectionLedger``'s
/// rules (a connection cap below the descriptor budget, header and idle timeouts, eviction of
/// the longest-owing connection at the cap) applied to the real channels, a cap on long polls
/// waiting at once, basic auth's password checks on a thread of their own behind
/// ``AuthThrottle``'s per-source back-off, and ``HostRule`` for `Host` and `Origin`.
final class ServeGuard: Sendable {
    private let ledger: Mutex<ConnectionLedger>
    private let channels = Mutex<[UInt64: any Channel]>([:])
    private let nextID = Atomic<UInt64>(0)
    private let origin = ContinuousClock.now
    private let waiting = Mutex<Int>(0)
    private let throttle = Mutex(AuthThrottle())
    /// Long polls waiting at once, at most; beyond, `/best?wait=` answers at once.
    let maxWaits: Int
    /// `Host`/`Origin` admission.
    let hosts: HostRule
    /// One thread for password checks (bcrypt), so that they never hold up the event loops or
    /// Swift's cooperative pool.
    private let passwordQueue = DispatchQueue(label: "probe.serve.password")

    init(limits: ConnectionLedger.Limits, hosts: HostRule) {
        ledger = Mutex(ConnectionLedger(limits: limits))
        maxWaits = max(1, limits.maxConnections / 2)
        self.hosts = hosts
    }

    /// The connection cap for a descriptor limit: a quarter of what is left after 64 for the
    /// rest of the process (probe rounds open sockets too), within 16 and `requested` (default 512).
    static func connectionCap(requested: Int?, descriptorLimit: Int?) -> Int {
        let wanted = requested ?? 512
        guard let limit = descriptorLimit else { return wanted }
        return max(16, min(wanted, (limit - 64) / 4))
    }

    var now: Duration { ContinuousClock.now - origin }

    /// A handler for a new connection's pipeline.
    func handler() -> ConnectionGuardHandler { ConnectionGuardHandler(guard: self, id: nextID.add(1, ordering: .relaxed).newValue) }

    func opened(_ id: UInt64, _ channel: any Channel) {
        channels.withLock { $0[id] = channel }
        perform(ledger.withLock { $0.opened(id, at: now) })
    }

    func event(_ id: UInt64, _ change: (inout ConnectionLedger, Duration) -> Void) {
        let at = now
        ledger.withLock { change(&$0, at) }
    }

    func closed(_ id: UInt64) {
        channels.withLock { _ = $0.removeValue(forKey: id) }
        ledger.withLock { $0.closed(id) }
    }

    /// Closes what has run out of time; called every 250 ms by ``run()``.
    func tick() {
        perform(ledger.withLock { $0.tick(at: now) })
    }

    /// Ticks until cancelled.
    func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(250))
            tick()
        }
    }

    private func perform(_ actions: [ConnectionLedger.Action]) {
        for case .close(let id, _) in actions {
            let channel = channels.withLock { $0.removeValue(forKey: id) }
            channel?.close(promise: nil)
        }
    }

    /// Runs `wait` as a long poll when fewer than ``maxWaits`` are waiting, else returns `nil` at once.
    func longPoll<T: Sendable>(_ wait: () async -> T) async -> T? {
        let admitted = waiting.withLock { count -> Bool in
            guard count < maxWaits else { return false }
            count += 1
            return true
        }
        guard admitted else { return nil }
        defer { waiting.withLock { $0 -= 1 } }
        return await wait()
    }

    /// Basic auth for a request from `source`: admitted, refused, or told to wait.
    enum AuthAnswer { case admitted, refused, wait(Duration) }

    func authenticate(_ authorization: String?, source: String, web: WebSettings) async -> AuthAnswer {
        switch web.quickCheck(authorization: authorization) {
        case .admitted: return .admitted
        case .refused: return .refused
        case .needsCheck(let check):
            let key = source + " " + check.user
            if let wait = throttle.withLock({ $0.wait(key, at: now) }) { return .wait(wait) }
            let ok = await withCheckedContinuation { continuation in
                passwordQueue.async { continuation.resume(returning: check.run()) }
            }
            let at = now
            throttle.withLock { ok ? $0.succeeded(key) : $0.failed(key, at: at) }
            return ok ? .admitted : .refused
        }
    }
}

/// One connection's view for ``ServeGuard``: its request heads, ends and answers, and its close.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let guard_: ServeGuard
    private let id: UInt64

    init(guard: ServeGuard, id: UInt64) {
        guard_ = `guard`
        self.id = id
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        guard_.opened(id, context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        guard_.closed(id)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: guard_.event(id) { $0.requestHead(id, complete: false, at: $1) }
        case .end: guard_.event(id) { ledger, _ in ledger.requestEnd(id) }
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { guard_.event(id) { $0.answered(id, at: $1) } }
        context.write(data, promise: promise)
    }
}

/// The request context of `probe serve`'s routes: Hummingbird's, plus the connection, so that a
/// long poll ends when its client goes away and basic auth knows the client's address.
struct ServeContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The connection the request came on.
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The client's address (without port), for the per-source back-off.
    var source: String { channel.remoteAddress?.ipAddress ?? "unknown" }
}
