/// Many name lookups at once over UDP, as a pure state machine (events in, actions out, the
/// clock passed in): what glibc's stub resolver does for one name, for thousands together, so a
/// thousand names cost one round trip to the name server instead of a thousand blocking calls.
///
/// Per name: the search-list candidates in order (``ResolverConfiguration/candidates(for:)``);
/// for each, A and AAAA asked together; a query unanswered after the attempt time is sent again
/// to the next server; a server failure moves to the next server at once; NXDOMAIN or no address
/// moves to the next candidate; the whole lookup fails at its deadline. Answers are matched by
/// id, server and question (an answer to anything else is ignored, as a spoofed one would be).
package struct NameLookups {
    /// What to do.
    package enum Action: Equatable {
        /// Send `query` to server number `server`.
        case send(query: [UInt8], server: Int)
        /// Lookup `lookup` is over.
        case done(lookup: Int, outcome: Outcome)
    }

    /// How a lookup ended.
    package enum Outcome: Equatable, Sendable {
        /// The addresses found (4 or 16 bytes each, in answer order), with the smallest TTL.
        case addresses(v4: [[UInt8]], v6: [[UInt8]], ttlSeconds: UInt32)
        /// Why there is none (one line: `no such host (NXDOMAIN)`, `no answer within 2000 ms`).
        case failed(String)
    }

    /// What one lookup asks.
    package struct Request: Sendable, Hashable {
        /// The name (as the user wrote it).
        package var name: String
        /// Ask for IPv4 addresses.
        package var v4: Bool
        /// Ask for IPv6 addresses.
        package var v6: Bool

        /// A request.
        package init(name: String, v4: Bool = true, v6: Bool = true) {
            self.name = name
            self.v4 = v4
            self.v6 = v6
        }
    }

    private struct Query {
        var type: DNSMessage.RecordType
        var id: UInt16 = 0
        var answered = false
        var rcode: UInt8 = 0
        var addresses: [[UInt8]] = []
        var ttl: UInt32 = .max
        var tries = 0
        var server = 0
        var resendAt: UInt64 = 0
    }

    private struct Lookup {
        var candidates: [String]
        var candidate = 0
        var queries: [Query]
        var deadline: UInt64
        var over = false
        var lastFailure: String?
    }

    private struct Wake: Comparable {
        var at: UInt64
        var lookup: Int
        static func < (lhs: Wake, rhs: Wake) -> Bool { lhs.at != rhs.at ? lhs.at < rhs.at : lhs.lookup < rhs.lookup }
    }

    private let configuration: ResolverConfiguration
    private let attemptNanoseconds: UInt64
    private let timeoutNanoseconds: UInt64
    private var lookups: [Lookup] = []
    private var owners: [UInt16: (lookup: Int, query: Int)] = [:]
    private var wakes = Heap<Wake>()
    private var random: UInt64
    private var nextServer = 0
    /// Lookups waiting for a place among the ``maximumConcurrent``.
    private var queued = RingBuffer<Int>(capacity: 64)
    private var running = 0
    /// Lookups not yet over.
    package private(set) var pending = 0
    /// Most lookups asked at once (a name server such as dnsmasq forwards 150 at once by default and
    /// drops beyond; a burst of thousands would be lost and retried).
    package var maximumConcurrent = 1_024

    /// Lookups over `configuration`'s servers, each given up after `timeoutMilliseconds`. A query
    /// is sent again after the configured attempt time, or sooner so that every server gets its
    /// attempts within the timeout. `seed` picks the query ids.
    package init(configuration: ResolverConfiguration, timeoutMilliseconds: Int, seed: UInt64) {
        self.configuration = configuration
        timeoutNanoseconds = Nanoseconds.from(milliseconds: timeoutMilliseconds)
        let tries = UInt64(max(1, configuration.servers.count * configuration.attempts))
        attemptNanoseconds = max(1, min(UInt64(configuration.attemptSeconds) * 1_000_000_000, timeoutNanoseconds / tries))
        random = seed | 1
    }

    /// Starts a lookup; its number is the one ``Action/done(lookup:outcome:)`` reports.
    package mutating func start(_ request: Request, now: UInt64) -> (lookup: Int, actions: [Action]) {
        let number = lookups.count
        var types: [DNSMessage.RecordType] = []
        if request.v4 { types.append(.a) }
        if request.v6 { types.append(.aaaa) }
        let candidates = configuration.candidates(for: request.name).filter { DNSMessage.labels(of: $0) != nil }
        lookups.append(Lookup(candidates: candidates, queries: types.map { Query(type: $0) }, deadline: now &+ timeoutNanoseconds))
        pending += 1
        guard !candidates.isEmpty, !types.isEmpty, !configuration.servers.isEmpty else {
            let reason = configuration.servers.isEmpty ? "no name server configured" : "'\(request.name)' is not a name DNS can carry"
            return (number, finish(number, .failed(reason)))
        }
        guard running < maximumConcurrent else {
            queued.append(number)
            return (number, [])
        }
        return (number, begin(number, now: now))
    }

    /// Starts asking for lookup `number`: its deadline counts from now.
    private mutating func begin(_ number: Int, now: UInt64) -> [Action] {
        running += 1
        lookups[number].deadline = now &+ timeoutNanoseconds
        wakes.insert(Wake(at: lookups[number].deadline, lookup: number))
        return ask(number, now: now)
    }

    /// An answer arrived from server number `server`.
    package mutating func receive(_ bytes: [UInt8], from server: Int, now: UInt64) -> [Action] {
        guard let answer = DNSMessage.parseAnswer(bytes), let owner = owners[answer.id] else { return [] }
        let (number, index) = owner
        guard !lookups[number].over, configuration.servers.indices.contains(server) else { return [] }
        var query = lookups[number].queries[index]
        let name = lookups[number].candidates[lookups[number].candidate]
        // Only the answer to the very question asked.
        guard !query.answered, query.id == answer.id, let question = answer.question, question.name == name,
              question.type == query.type.rawValue else { return [] }
        owners[answer.id] = nil
        switch DNSMessage.ResponseCode(rawValue: answer.rcode) {
        case .noError?, .nameError?:
            query.answered = true
            query.rcode = answer.rcode
            query.addresses = answer.addresses.map(\.bytes)
            query.ttl = answer.addresses.map(\.ttl).min() ?? .max
            lookups[number].queries[index] = query
        default:
            // SERVFAIL, REFUSED, ...: the next server now, while tries remain.
            lookups[number].lastFailure = Self.describe(rcode: answer.rcode)
            lookups[number].queries[index] = query
            if query.tries < max(1, configuration.servers.count * configuration.attempts) {
                return send(number, index, now: now)
            }
            query.answered = true
            query.rcode = answer.rcode
            lookups[number].queries[index] = query
        }
        return settle(number, now: now)
    }

    /// Resends what is due and ends lookups past their deadline.
    package mutating func expire(now: UInt64) -> [Action] {
        var actions: [Action] = []
        while let wake = wakes.min, wake.at <= now {
            wakes.removeMin()
            let number = wake.lookup
            guard !lookups[number].over else { continue }
            if now >= lookups[number].deadline {
                let waited = timeoutNanoseconds / 1_000_000  // the deadline: what the user set
                let reason = lookups[number].lastFailure.map { "\($0); no answer after \(waited) ms" } ?? "no answer from the name server within \(waited) ms"
                actions += finish(number, .failed(reason), now: now)
                continue
            }
            for index in lookups[number].queries.indices where !lookups[number].queries[index].answered {
                if lookups[number].queries[index].resendAt <= now { actions += send(number, index, now: now) }
            }
        }
        return actions
    }

    /// When ``expire(now:)`` has something to do next.
    package var nextDeadline: UInt64? {
        mutating get {
            while let wake = wakes.min, lookups[wake.lookup].over { wakes.removeMin() }
            return wakes.min?.at
        }
    }

    /// Ends every lookup still going with `reason` (the caller gave up waiting).
    package mutating func abandonAll(reason: (_ waitedMilliseconds: UInt64) -> String, now: UInt64) -> [Action] {
        var actions: [Action] = []
        for number in lookups.indices where !lookups[number].over {
            actions += finish(number, .failed(reason((now &- (lookups[number].deadline &- timeoutNanoseconds)) / 1_000_000)), now: now)
        }
        return actions
    }

    // MARK: - Steps

    /// Asks every type of the current candidate.
    private mutating func ask(_ number: Int, now: UInt64) -> [Action] {
        var actions: [Action] = []
        for index in lookups[number].queries.indices {
            let type = lookups[number].queries[index].type
            lookups[number].queries[index] = Query(type: type)
            actions += send(number, index, now: now)
        }
        return actions
    }

    /// Sends (or sends again, to the next server) one query.
    private mutating func send(_ number: Int, _ index: Int, now: UInt64) -> [Action] {
        var query = lookups[number].queries[index]
        if query.id != 0 { owners[query.id] = nil }
        query.id = freshID()
        if query.tries == 0 {
            query.server = configuration.rotate ? nextServer % configuration.servers.count : 0
            nextServer &+= 1
        } else {
            query.server = (query.server + 1) % configuration.servers.count
        }
        query.tries += 1
        query.resendAt = now &+ attemptNanoseconds
        owners[query.id] = (number, index)
        lookups[number].queries[index] = query
        wakes.insert(Wake(at: query.resendAt, lookup: number))
        let name = lookups[number].candidates[lookups[number].candidate]
        guard let bytes = DNSMessage.query(id: query.id, name: name, type: query.type) else { return [] }
        return [.send(query: bytes, server: query.server)]
    }

    /// After an answer: done when every type has answered (addresses found, or the next candidate).
    private mutating func settle(_ number: Int, now: UInt64) -> [Action] {
        let queries = lookups[number].queries
        guard queries.allSatisfy(\.answered) else { return [] }
        let v4 = queries.filter { $0.type == .a }.flatMap(\.addresses)
        let v6 = queries.filter { $0.type == .aaaa }.flatMap(\.addresses)
        if !v4.isEmpty || !v6.isEmpty {
            let ttl = queries.filter { !$0.addresses.isEmpty }.map(\.ttl).min() ?? 0
            return finish(number, .addresses(v4: v4, v6: v6, ttlSeconds: ttl), now: now)
        }
        let failure: String
        if queries.contains(where: { $0.rcode == DNSMessage.ResponseCode.nameError.rawValue }) {
            failure = "no such host (NXDOMAIN)"
        } else if let bad = queries.first(where: { $0.rcode != 0 }) {
            failure = Self.describe(rcode: bad.rcode)
        } else {
            let kinds = queries.map { $0.type == .a ? "IPv4" : "IPv6" }.joined(separator: " or ")
            failure = "no \(kinds) address"
        }
        lookups[number].lastFailure = failure
        if lookups[number].candidate + 1 < lookups[number].candidates.count {
            lookups[number].candidate += 1
            return ask(number, now: now)
        }
        return finish(number, .failed(failure), now: now)
    }

    private mutating func finish(_ number: Int, _ outcome: Outcome, now: UInt64 = 0) -> [Action] {
        guard !lookups[number].over else { return [] }
        let wasRunning = lookups[number].queries.contains { $0.tries > 0 }
        lookups[number].over = true
        pending -= 1
        for query in lookups[number].queries where query.id != 0 && owners[query.id]?.lookup == number { owners[query.id] = nil }
        var actions: [Action] = [.done(lookup: number, outcome: outcome)]
        if wasRunning {
            running -= 1
            // The next queued lookup takes its place.
            while running < maximumConcurrent, let next = queued.first {
                queued.removeFirst()
                if !lookups[next].over { actions += begin(next, now: now) }
            }
        }
        return actions
    }

    /// A query id not in use (xorshift; 0 is kept for "none").
    private mutating func freshID() -> UInt16 {
        while true {
            random ^= random << 13
            random ^= random >> 7
            random ^= random << 17
            let id = UInt16(truncatingIfNeeded: random >> 16)
            if id != 0, owners[id] == nil { return id }
        }
    }

    private static func describe(rcode: UInt8) -> String {
        switch DNSMessage.ResponseCode(rawValue: rcode) {
        case .serverFailure?: return "the name server failed (SERVFAIL)"
        case .refused?: return "the name server refused (REFUSED)"
        case .formatError?: return "the name server could not read the query (FORMERR)"
        case .notImplemented?: return "the name server does not do this (NOTIMP)"
        default: return "the name server answered with code \(rcode)"
        }
    }
}
