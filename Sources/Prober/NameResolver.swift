import FoundationEssentials
import ProbeSystem
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import CProbe

/// Resolves a sweep's host names on the sweep's own reactor while it probes: a target starts
/// probing the moment its name resolves.
///
/// Where the machine resolves through files and DNS (nsswitch.conf), `/etc/hosts` answers first
/// and the rest goes to the name servers of `/etc/resolv.conf` as UDP queries on this reactor
/// (``NameLookups``: A and AAAA together, retries, search list, one deadline). Elsewhere (mDNS,
/// systemd-resolved's NSS module, no name server) each name is a blocking `getaddrinfo` on a
/// bounded pool of threads that hand their answers to the reactor through its eventfd.
final class NameResolver {
    /// How a lookup ended: addresses in preference order (port 0) and the smallest TTL, or why not.
    enum Outcome: Equatable {
        case resolved([SocketAddress], ttlSeconds: UInt32?)
        case failed(String)
    }

    /// Epoll user data of the name-server sockets: `base - server`.
    static let socketDataBase: UInt64 = .max - 8

    private let configuration: ResolverConfiguration
    private var lookups: NameLookups
    private var sockets: [Int32] = []
    private let threaded: ThreadedLookups?
    private var started: [MonotonicInstant] = []
    private var requests: [NameLookups.Request] = []
    /// Our number of each of the state machine's lookups (names in /etc/hosts never reach it).
    private var numbers: [Int] = []
    private var buffer = [UInt8](repeating: 0, count: DNSMessage.maximumSize)
    private let timeoutNanoseconds: UInt64
    /// getaddrinfo lookups not yet over, and the first of them in start order (their deadline).
    private var open = Set<Int>()
    private var firstOpen = 0
    /// Lookups still going.
    private(set) var pending = 0

    /// A resolver on `reactor`; each lookup is given up after `timeoutMilliseconds`.
    init(configuration: ResolverConfiguration, timeoutMilliseconds: Int, reactor: Reactor, control: SweepControl) {
        var configuration = configuration
        var seed = SystemRandomNumberGenerator()
        if configuration.stubUnusable == nil {
            // One connected UDP socket per name server: the kernel drops datagrams from anyone else.
            for (index, server) in configuration.servers.enumerated() {
                guard let fd = try? Syscall.socket(family: server.protocolFamily, type: Int32(SOCK_DGRAM.rawValue), protocol: 0) else { continue }
                // Room for a burst of answers (a thousand names answer within a millisecond or two).
                try? Syscall.setIntOption(fd, level: SOL_SOCKET, name: SO_RCVBUF, value: 4 << 20)
                let connected = Syscall.connect(fd, to: server) == nil
                if connected, (try? reactor.add(fd, events: CPROBE_EPOLLIN, data: Self.socketDataBase - UInt64(index))) != nil {
                    sockets.append(fd)
                } else {
                    Syscall.close(fd)
                    sockets.append(-1)
                }
            }
            if !sockets.contains(where: { $0 >= 0 }) {
                configuration.stubUnusable = "cannot open a socket to the name servers"
            }
        }
        self.configuration = configuration
        timeoutNanoseconds = Nanoseconds.from(milliseconds: timeoutMilliseconds)
        lookups = NameLookups(configuration: configuration, timeoutMilliseconds: timeoutMilliseconds, seed: seed.next())
        threaded = configuration.stubUnusable == nil ? nil : ThreadedLookups(control: control)
    }

    /// Starts a lookup; its number (the order of calls) is what ``Outcome``s are reported with.
    /// A name in `/etc/hosts` (stub resolver only: getaddrinfo reads it itself) is answered at once.
    func start(_ request: NameLookups.Request, now: MonotonicInstant) -> [(Int, Outcome, Double)] {
        let number = requests.count
        requests.append(request)
        started.append(now)
        pending += 1
        if let threaded {
            open.insert(number)
            threaded.start(number, request)
            return []
        }
        if let listed = configuration.hosts[request.name.lowercased()] {
            let wanted = listed.filter { ($0.family == .inet && request.v4) || ($0.family == .inet6 && request.v6) }
            pending -= 1
            return [(number, wanted.isEmpty ? .failed("no address of the family asked for in /etc/hosts") : .resolved(wanted, ttlSeconds: nil), 0)]
        }
        numbers.append(number)
        return perform(lookups.start(request, now: now.nanoseconds).actions, now: now)
    }

    /// Handles an event of one of its sockets; `nil` when `data` is not one of them.
    func handle(data: UInt64, now: MonotonicInstant) -> [(Int, Outcome, Double)]? {
        guard data <= Self.socketDataBase, data > Self.socketDataBase - UInt64(max(1, sockets.count)) else { return nil }
        let server = Int(Self.socketDataBase - data)
        guard sockets.indices.contains(server), sockets[server] >= 0 else { return [] }
        var done: [(Int, Outcome, Double)] = []
        while true {
            let received = buffer.withUnsafeMutableBytes { Syscall.receive(sockets[server], into: $0) }
            if case .failure(.interrupted) = received { continue }
            guard case .success(let count) = received else { break }  // EAGAIN, or an ICMP error (ECONNREFUSED): the retry covers it
            done += perform(lookups.receive(Array(buffer[0..<count]), from: server, now: now.nanoseconds), now: now)
        }
        return done
    }

    /// Resends and deadlines that are due, and answers the threads handed over. getaddrinfo has
    /// no timeout of its own: a lookup still on a thread at its deadline is given up here.
    func poll(now: MonotonicInstant) -> [(Int, Outcome, Double)] {
        if let threaded {
            var done = threaded.take().map { ($0.number, $0.outcome, $0.milliseconds) }
            while let deadline, deadline <= now {
                done += threaded.abandon([firstOpen]).map { number in
                    (number, Outcome.failed("no answer within \(timeoutNanoseconds / 1_000_000) ms"), now.milliseconds(since: started[number]))
                }
                open.remove(firstOpen)
            }
            for item in done { open.remove(item.0) }
            pending -= done.count
            return done
        }
        return perform(lookups.expire(now: now.nanoseconds), now: now)
    }

    /// When ``poll(now:)`` next has something to do (the threads wake the reactor themselves when
    /// they answer; their deadline is the earliest lookup's).
    var deadline: MonotonicInstant? {
        if threaded != nil {
            // Lookups are numbered in start order: the first still going sets the deadline.
            while firstOpen < started.count, !open.contains(firstOpen) { firstOpen += 1 }
            return firstOpen < started.count ? started[firstOpen].advanced(byNanoseconds: timeoutNanoseconds) : nil
        }
        return lookups.nextDeadline.map { MonotonicInstant(nanoseconds: $0) }
    }

    /// Gives up on every lookup still going, each with `reason(milliseconds waited)`.
    func abandonAll(reason: (Double) -> String, now: MonotonicInstant) -> [(Int, Outcome, Double)] {
        if let threaded {
            let given = threaded.abandon(open).map { number in (number, Outcome.failed(reason(now.milliseconds(since: started[number]))), now.milliseconds(since: started[number])) }
            open.removeAll()
            pending -= given.count
            return given
        }
        return perform(lookups.abandonAll(reason: { _ in "" }, now: now.nanoseconds).map { action in
            guard case .done(let lookup, _) = action else { return action }
            return .done(lookup: lookup, outcome: .failed(reason(now.milliseconds(since: started[numbers[lookup]]))))
        }, now: now)
    }

    func close() {
        for fd in sockets where fd >= 0 { Syscall.close(fd) }
        sockets = []
        threaded?.cancel()
    }

    private func perform(_ actions: [NameLookups.Action], now: MonotonicInstant) -> [(Int, Outcome, Double)] {
        var done: [(Int, Outcome, Double)] = []
        for action in actions {
            switch action {
            case .send(let query, let server):
                guard sockets.indices.contains(server), sockets[server] >= 0 else { continue }
                _ = query.withUnsafeBytes { Syscall.send(sockets[server], $0, flags: Int32(MSG_DONTWAIT)) }
            case .done(let machineLookup, let outcome):
                let lookup = numbers[machineLookup]
                pending -= 1
                let waited = now.milliseconds(since: started[lookup])
                switch outcome {
                case .failed(let reason):
                    done.append((lookup, .failed(reason), waited))
                case .addresses(let v4, let v6, let ttl):
                    let four = v4.compactMap { SocketAddress(bytes: $0, port: 0) }
                    let six = v6.compactMap { SocketAddress(bytes: $0, port: 0) }
                    done.append((lookup, .resolved(Self.ordered(v4: four, v6: six), ttlSeconds: ttl), waited))
                }
            }
        }
        return done
    }

    /// Both families in the order getaddrinfo would give them (RFC 6724, as glibc applies it):
    /// IPv6 first where this machine has a route to it (rule 1, found the way glibc finds it: a
    /// UDP socket connected to the address, no packet sent), else IPv4 first.
    static func ordered(v4: [SocketAddress], v6: [SocketAddress]) -> [SocketAddress] {
        guard let first = v6.first, !v4.isEmpty else { return v6 + v4 }
        return isRoutable(first) ? v6 + v4 : v4 + v6
    }

    /// Whether the kernel has a route (a source address) for `address`.
    static func isRoutable(_ address: SocketAddress) -> Bool {
        guard let fd = try? Syscall.socket(family: address.protocolFamily, type: Int32(SOCK_DGRAM.rawValue), protocol: 0) else { return false }
        defer { Syscall.close(fd) }
        return Syscall.connect(fd, to: address.withPort(53)) == nil
    }
}

/// Blocking `getaddrinfo` lookups on a bounded pool of threads (where the stub resolver cannot
/// stand in for the system's): answers are queued and the reactor woken through its eventfd.
final class ThreadedLookups: Sendable {
    struct Done: Sendable {
        var number: Int
        var outcome: NameResolver.Outcome
        var milliseconds: Double
    }

    /// Most blocking lookups at once.
    static let maximumThreads = 64

    private struct State {
        var queue: [(Int, NameLookups.Request)] = []
        var next = 0
        var threads = 0
        var done: [Done] = []
        var over = Set<Int>()
        var cancelled = false
    }

    private let state = Mutex(State())
    private let control: SweepControl

    init(control: SweepControl) {
        self.control = control
    }

    func start(_ number: Int, _ request: NameLookups.Request) {
        let spawn = state.withLock { state -> Bool in
            state.queue.append((number, request))
            guard state.threads < Self.maximumThreads else { return false }
            state.threads += 1
            return true
        }
        guard spawn else { return }
        DetachedThread.start(name: "probe-resolver") { [self] in work() }
    }

    private func work() {
        while true {
            let item = state.withLock { state -> (Int, NameLookups.Request)? in
                guard !state.cancelled, state.next < state.queue.count else {
                    state.threads -= 1
                    return nil
                }
                defer { state.next += 1 }
                return state.queue[state.next]
            }
            guard let (number, request) = item else { return }
            let start = MonotonicInstant.now()
            let outcome = Self.lookup(request)
            let waited = MonotonicInstant.now().milliseconds(since: start)
            // An answer after the deadline was already given up on (see NameResolver.poll).
            state.withLock { state in
                guard state.over.insert(number).inserted else { return }
                state.done.append(Done(number: number, outcome: outcome, milliseconds: waited))
            }
            control.wake()
        }
    }

    /// The answers since the last call (reactor thread).
    func take() -> [Done] {
        state.withLock { state in
            defer { state.done.removeAll() }
            return state.done
        }
    }

    /// Marks the lookups among `numbers` not yet answered as over; their numbers.
    func abandon(_ numbers: some Sequence<Int>) -> [Int] {
        state.withLock { state in
            let open = numbers.filter { !state.over.contains($0) }
            state.over.formUnion(open)
            return open
        }
    }

    func cancel() { state.withLock { $0.cancelled = true } }

    /// One `getaddrinfo` call for the families asked (AF_UNSPEC for both: its own RFC 6724 order).
    static func lookup(_ request: NameLookups.Request) -> NameResolver.Outcome {
        var hints = addrinfo()
        hints.ai_family = request.v4 && request.v6 ? AF_UNSPEC : (request.v6 ? AF_INET6 : AF_INET)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(request.name, nil, &hints, &list)
        defer { if list != nil { freeaddrinfo(list) } }
        guard status == 0 else {
            if status == EAI_NONAME { return .failed("no such host") }
            return .failed(status == EAI_SYSTEM ? Errno.current.description : String(cString: gai_strerror(status)))
        }
        var addresses: [SocketAddress] = []
        var cursor = list
        while let entry = cursor {
            if let address = SocketAddress(entry.pointee), !addresses.contains(address) { addresses.append(address) }
            cursor = entry.pointee.ai_next
        }
        return addresses.isEmpty ? .failed("no IPv4 or IPv6 address") : .resolved(addresses, ttlSeconds: nil)
    }
}
