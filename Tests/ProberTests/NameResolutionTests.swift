import Foundation
import Testing
@testable import Prober

/// The DNS wire format: what the stub resolver sends and reads, and what netsim's server answers.
@Suite struct DNSMessageTests {
    @Test func aQueryRoundTripsThroughTheServerSide() throws {
        let query = try #require(DNSMessage.query(id: 0x1234, name: "Vpn1.Example.TEST.", type: .aaaa))
        let question = try #require(DNSMessage.parseQuery(query))
        #expect(question.id == 0x1234 && question.name == "vpn1.example.test" && question.type == 28 && question.recursionDesired)
        let v6: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [7]
        let answer = try #require(DNSMessage.parseAnswer(DNSMessage.answer(to: question, rcode: .noError, addresses: [v6, [198, 18, 0, 9]], ttl: 77)))
        #expect(answer.id == 0x1234 && answer.rcode == 0 && !answer.truncated)
        #expect(answer.question?.name == "vpn1.example.test")
        #expect(answer.addresses.map(\.bytes) == [v6])  // the IPv4 address does not answer an AAAA question
        #expect(answer.addresses.first?.ttl == 77)
    }

    @Test(arguments: ["", "a..b", String(repeating: "x", count: 64) + ".test", "bad name.test", "ünï.test",
                      String(repeating: "abcdefgh.", count: 29) + "test"])
    func namesDNSCannotCarryAreRefused(_ name: String) {
        #expect(DNSMessage.query(id: 1, name: name, type: .a) == nil)
    }

    @Test func aliasesAreFollowedAndStrangersIgnored() throws {
        // www.test CNAME edge.test; edge.test A 198.18.0.5; other.test A 198.18.0.6 (not ours).
        var bytes: [UInt8] = [0, 7, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0]
        bytes += [3] + Array("www".utf8) + [4] + Array("test".utf8) + [0, 0, 1, 0, 1]
        bytes += [0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 7, 4] + Array("edge".utf8) + [0xC0, 16]
        let edge = bytes.count - 7
        bytes += [0xC0, UInt8(edge), 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 198, 18, 0, 5]
        bytes += [5] + Array("other".utf8) + [0xC0, 16, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 198, 18, 0, 6]
        let answer = try #require(DNSMessage.parseAnswer(bytes))
        #expect(answer.addresses.map(\.bytes) == [[198, 18, 0, 5]])
    }

    @Test func hostileMessagesDecodeToNothing() {
        // A pointer to itself, a pointer forward, a label running past the end, a record longer than the message.
        let header: [UInt8] = [0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]
        #expect(DNSMessage.parseAnswer(header + [0xC0, 12, 0, 1, 0, 1]) == nil)
        #expect(DNSMessage.parseAnswer(header + [0xC0, 40, 0, 1, 0, 1]) == nil)
        #expect(DNSMessage.parseAnswer(header + [9, 0x61, 0x62]) == nil)
        #expect(DNSMessage.parseAnswer(header + [1, 0x61, 0, 0, 1, 0, 1] + [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0xFF, 0xFF, 1]) == nil)
        // A chain of labels that loops back through a pointer is cut off by the label limit.
        var loop = header + [1, 0x61]
        loop += [0xC0, 12]
        #expect(DNSMessage.parseAnswer(loop + [0, 1, 0, 1]) == nil)
        #expect(DNSMessage.parseAnswer([]) == nil)
        #expect(DNSMessage.parseQuery([UInt8](repeating: 0xFF, count: 40)) == nil)
        // Every truncation of a good answer is rejected or decoded; none traps.
        let good = DNSMessage.answer(to: DNSMessage.Question(name: "a.test", type: 1, id: 9, recursionDesired: true), rcode: .noError, addresses: [[198, 18, 0, 1]], ttl: 5)
        for length in 0..<good.count { _ = DNSMessage.parseAnswer(Array(good.prefix(length))) }
    }
}

/// The lookups' rules, driven with a clock of our own: no socket, no waiting.
@Suite struct NameLookupsTests {
    static let server = SocketAddress(numericHost: "127.0.0.1", port: 53)
    static func configuration(servers: Int = 1, search: [String] = []) -> ResolverConfiguration {
        var configuration = ResolverConfiguration(servers: (0..<servers).compactMap { SocketAddress(numericHost: "127.0.0.\($0 + 1)", port: 53) }, search: search)
        configuration.attemptSeconds = 1
        return configuration
    }

    static func queries(_ actions: [NameLookups.Action]) -> [(DNSMessage.Question, Int)] {
        actions.compactMap { action in
            guard case .send(let bytes, let server) = action, let question = DNSMessage.parseQuery(bytes) else { return nil }
            return (question, server)
        }
    }

    static func reply(_ question: DNSMessage.Question, _ addresses: [[UInt8]], rcode: DNSMessage.ResponseCode = .noError) -> [UInt8] {
        DNSMessage.answer(to: question, rcode: rcode, addresses: addresses, ttl: 42)
    }

    @Test func aAndAAAAAreAskedTogetherAndBothAnswersAwaited() throws {
        var lookups = NameLookups(configuration: Self.configuration(), timeoutMilliseconds: 2_000, seed: 7)
        let (number, actions) = lookups.start(NameLookups.Request(name: "vpn.test"), now: 0)
        let sent = Self.queries(actions)
        #expect(sent.map(\.0.type).sorted() == [1, 28])
        #expect(Set(sent.map(\.0.id)).count == 2)
        #expect(lookups.receive(Self.reply(sent[0].0, [[198, 18, 0, 1]]), from: 0, now: 1_000).isEmpty)  // still waiting for AAAA
        let done = lookups.receive(Self.reply(sent[1].0, [[0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 12)]), from: 0, now: 2_000)
        #expect(done == [.done(lookup: number, outcome: .addresses(v4: [[198, 18, 0, 1]], v6: [[0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 12)], ttlSeconds: 42))])
        #expect(lookups.pending == 0)
    }

    @Test func anAnswerToAnotherQuestionIsIgnored() throws {
        var lookups = NameLookups(configuration: Self.configuration(), timeoutMilliseconds: 2_000, seed: 7)
        let sent = Self.queries(lookups.start(NameLookups.Request(name: "vpn.test", v4: true, v6: false), now: 0).actions)
        var forged = sent[0].0
        forged.name = "evil.test"
        #expect(lookups.receive(Self.reply(forged, [[198, 18, 6, 6]]), from: 0, now: 1).isEmpty)
        var wrongID = sent[0].0
        wrongID.id &+= 1
        #expect(lookups.receive(Self.reply(wrongID, [[198, 18, 6, 6]]), from: 0, now: 1).isEmpty)
        #expect(lookups.receive(Self.reply(sent[0].0, [[198, 18, 6, 6]]), from: 5, now: 1).isEmpty)  // no such server
        #expect(lookups.receive(Self.reply(sent[0].0, [[198, 18, 0, 1]]), from: 0, now: 2).count == 1)
    }

    @Test func nxdomainTriesTheSearchListThenFails() throws {
        var lookups = NameLookups(configuration: Self.configuration(search: ["corp.test"]), timeoutMilliseconds: 2_000, seed: 3)
        var sent = Self.queries(lookups.start(NameLookups.Request(name: "vpn", v4: true, v6: false), now: 0).actions)
        #expect(sent.map(\.0.name) == ["vpn.corp.test"])  // no dot: the search list first
        sent = Self.queries(lookups.receive(Self.reply(sent[0].0, [], rcode: .nameError), from: 0, now: 1))
        #expect(sent.map(\.0.name) == ["vpn"])
        let done = lookups.receive(Self.reply(sent[0].0, [], rcode: .nameError), from: 0, now: 2)
        #expect(done == [.done(lookup: 0, outcome: .failed("no such host (NXDOMAIN)"))])
    }

    @Test func silenceIsResentToTheNextServerThenTimesOut() throws {
        var lookups = NameLookups(configuration: Self.configuration(servers: 2), timeoutMilliseconds: 2_000, seed: 5)
        let first = Self.queries(lookups.start(NameLookups.Request(name: "vpn.test", v4: true, v6: false), now: 0).actions)
        #expect(first.map(\.1) == [0])
        // Two servers × two attempts within 2 s: a resend every 500 ms, to the other server.
        let firstDeadline = lookups.nextDeadline
        let deadline = try #require(firstDeadline)
        #expect(deadline == 500_000_000)
        let again = Self.queries(lookups.expire(now: deadline))
        #expect(again.map(\.1) == [1] && again[0].0.id != first[0].0.id)
        // The first query's late answer no longer counts (its id was retired).
        #expect(lookups.receive(Self.reply(first[0].0, [[198, 18, 0, 1]]), from: 0, now: deadline + 1).isEmpty)
        var actions: [NameLookups.Action] = []
        var now = deadline
        while let next = lookups.nextDeadline, actions.allSatisfy({ if case .done = $0 { false } else { true } }) {
            now = next
            actions = lookups.expire(now: now)
        }
        #expect(now == 2_000_000_000)
        #expect(actions.last == .done(lookup: 0, outcome: .failed("no answer from the name server within 2000 ms")))
    }

    @Test func serverFailureMovesOnAtOnce() throws {
        var lookups = NameLookups(configuration: Self.configuration(servers: 2), timeoutMilliseconds: 2_000, seed: 5)
        let sent = Self.queries(lookups.start(NameLookups.Request(name: "vpn.test", v4: true, v6: false), now: 0).actions)
        let retry = Self.queries(lookups.receive(Self.reply(sent[0].0, [], rcode: .serverFailure), from: 0, now: 10))
        #expect(retry.map(\.1) == [1])
        let done = lookups.receive(Self.reply(retry[0].0, [[198, 18, 0, 2]]), from: 1, now: 20)
        #expect(done == [.done(lookup: 0, outcome: .addresses(v4: [[198, 18, 0, 2]], v6: [], ttlSeconds: 42))])
    }

    @Test func lookupsBeyondTheLimitWaitTheirTurn() throws {
        var lookups = NameLookups(configuration: Self.configuration(), timeoutMilliseconds: 2_000, seed: 5)
        lookups.maximumConcurrent = 2
        var sent: [(DNSMessage.Question, Int)] = []
        for index in 0..<3 { sent += Self.queries(lookups.start(NameLookups.Request(name: "h\(index).test", v4: true, v6: false), now: 0).actions) }
        #expect(sent.map(\.0.name) == ["h0.test", "h1.test"])
        let next = lookups.receive(Self.reply(sent[0].0, [[198, 18, 0, 1]]), from: 0, now: 5)
        #expect(Self.queries(next).map(\.0.name) == ["h2.test"])
        #expect(lookups.pending == 2)
    }
}

@Suite struct ResolverConfigurationTests {
    @Test func resolvConfHostsAndNsswitchAreReadAsGlibcReadsThem() throws {
        let configuration = ResolverConfiguration.parse(resolvConf: """
            # comment
            nameserver 127.0.0.53
            nameserver ::1
            nameserver not-an-address
            search corp.test. lab.test
            options ndots:2 timeout:3 attempts:4 rotate edns0
            """, hosts: """
            127.0.0.1 localhost
            ::1 localhost ip6-localhost # comment
            198.18.0.7 vpn.corp.test vpn
            """)
        #expect(configuration.servers.map(\.description) == ["127.0.0.53:53", "[::1]:53"])
        #expect(configuration.search == ["corp.test", "lab.test"])
        #expect(configuration.ndots == 2 && configuration.attemptSeconds == 3 && configuration.attempts == 4 && configuration.rotate)
        #expect(configuration.hosts["localhost"]?.map(\.host) == ["127.0.0.1", "::1"])
        #expect(configuration.hosts["vpn"]?.map(\.host) == ["198.18.0.7"])
        #expect(configuration.candidates(for: "vpn.test") == ["vpn.test.corp.test", "vpn.test.lab.test", "vpn.test"])  // one dot < ndots 2
        #expect(configuration.candidates(for: "a.b.test") == ["a.b.test", "a.b.test.corp.test", "a.b.test.lab.test"])
        #expect(configuration.candidates(for: "rooted.test.") == ["rooted.test"])
        #expect(ResolverConfiguration.unsupportedSources(nsswitch: "hosts: files [NOTFOUND=return] dns") == nil)
        #expect(ResolverConfiguration.unsupportedSources(nsswitch: "passwd: files\nhosts: files mdns4_minimal dns") == "nsswitch.conf asks 'mdns4_minimal' for host names")
    }

    @Test func theMachinesFilesLoadWithoutAnyLookup() {
        // Reading the files is all: nothing is sent anywhere.
        let configuration = ResolverConfiguration.load()
        #expect(configuration.hosts["localhost"] != nil || configuration.stubUnusable != nil)
    }
}

/// Which targets need a lookup, shared how, and which address each gets.
@Suite struct NamePlanTests {
    @Test func aNameIsLookedUpOnceAndSharedAcrossPortsAndCase() {
        let targets = [ProbeTarget(host: "vpn.test", port: 1), ProbeTarget(host: "127.0.0.1", port: 2), ProbeTarget(host: "VPN.test", port: 3)]
        let plan = NamePlan(targets: targets, family: .any)
        #expect(plan.numeric.map(\.index) == [1])
        #expect(plan.lookups.count == 1 && plan.lookups[0].targets == [0, 2])
        #expect(plan.lookups[0].request.v4 && plan.lookups[0].request.v6)
    }

    @Test func familyPicksTheAddressAndRefusesNumericAddressesOfTheOtherFamily() throws {
        let v4 = try #require(SocketAddress(numericHost: "198.18.0.1", port: 0))
        let v6 = try #require(SocketAddress(numericHost: "2001:db8::1", port: 0))
        let name = ProbeTarget(host: "dual.test", port: 443)
        let outcome = NameResolver.Outcome.resolved([v6, v4], ttlSeconds: 60)
        #expect(NamePlan(targets: [name], family: .any).choose(outcome, for: name) == .address(v6))
        #expect(NamePlan(targets: [name], family: .ipv4).choose(outcome, for: name) == .address(v4))
        #expect(NamePlan(targets: [name], family: .ipv4).lookups[0].request == NameLookups.Request(name: "dual.test", v4: true, v6: false))
        #expect(NamePlan(targets: [name], family: .ipv6).choose(.resolved([v4], ttlSeconds: nil), for: name) == .failure("cannot resolve 'dual.test': no IPv6 address"))
        let refused = NamePlan(targets: [ProbeTarget(host: "2001:db8::9", port: 1)], family: .ipv4)
        #expect(refused.numeric.isEmpty && refused.refused.count == 1)
    }
}

/// Names resolved on the sweep's own reactor, against a real name server on loopback.
@Suite(.serialized) struct ResolveWhileProbingTests {
    static let fast = ProbeOptions(rate: 0, timeoutMilliseconds: 1_000, samples: 1, intervalMilliseconds: 1)

    @Test func aNumericTargetIsProbedWhileANameStillResolves() async throws {
        let listener = try LoopbackListener(kind: .open, host: "127.0.0.1")
        defer { listener.close() }
        let dns = try LoopbackDNSServer(["slow.test": .init(v4: ["127.0.0.1"], delayMilliseconds: 300), "gone.test": .init(rcode: .nameError)])
        defer { dns.stop() }
        var options = Self.fast
        options.dnsTimeoutMilliseconds = 20_000  // the order is under test, not the timeout (a loaded CI)
        options.timeoutMilliseconds = 10_000
        var engine = ProbeEngine(options: options)
        engine.resolverConfiguration = dns.configuration
        let targets = [ProbeTarget(host: "slow.test", port: listener.address.port), ProbeTarget(host: "127.0.0.1", port: listener.address.port),
                       ProbeTarget(host: "gone.test", port: 1)]
        var order: [Int] = []
        var final: [Int: TargetResult] = [:]
        var pendingSeen: [Int] = []
        for await batch in engine.updates(for: targets) {
            for event in batch {
                switch event {
                case .result(let result):
                    order.append(result.index)
                    final[result.index] = result
                case .resolving(let pending): pendingSeen.append(pending)
                default: break
                }
            }
        }
        // The numeric target's answer came while the slow name was still resolving.
        #expect(order.first == 1 || order.first == 2)
        #expect(order.last == 0)
        #expect(pendingSeen.contains(1) && pendingSeen.last == 0)
        let slow = try #require(final[0])
        #expect(slow.state == .open && slow.address?.host == "127.0.0.1" && slow.address?.port == listener.address.port, "\(slow)")
        #expect((slow.resolveMilliseconds ?? 0) >= 290)
        #expect(final[2]?.resolveError == "cannot resolve 'gone.test': no such host (NXDOMAIN)")
        #expect(final[1]?.resolveMilliseconds == nil)
    }

    @Test func aSilentNameServerIsThatTargetsErrorAfterTheDNSTimeout() async throws {
        let dns = try LoopbackDNSServer(["hang.test": .init(silent: true)])
        defer { dns.stop() }
        var options = Self.fast
        options.dnsTimeoutMilliseconds = 300
        var engine = ProbeEngine(options: options)
        engine.resolverConfiguration = dns.configuration
        let start = MonotonicInstant.now()
        let report = await engine.probe([ProbeTarget(host: "hang.test", port: 1)])
        let elapsed = MonotonicInstant.now().milliseconds(since: start)
        let result = try #require(report.results.first)
        #expect(result.resolveError == "cannot resolve 'hang.test': no answer from the name server within 300 ms")
        #expect(elapsed >= 300 && elapsed < 30_000)  // a guard: the error above names the 300 ms
        // Sent again before giving up (two attempts within the timeout), A and AAAA each.
        #expect(dns.received.count >= 4)
    }

    @Test func aSweepIsFreedWhenItEnds() async throws {
        let dns = try LoopbackDNSServer(["a.test": .init(v4: ["127.0.0.1"])])
        defer { dns.stop() }
        let closed = try LoopbackListener(kind: .closed, host: "127.0.0.1")
        defer { closed.close() }
        var engine = ProbeEngine(options: Self.fast)
        engine.resolverConfiguration = dns.configuration
        for _ in 0..<3 {
            _ = await engine.probe([ProbeTarget(host: "a.test", port: closed.address.port), ProbeTarget(host: "127.0.0.1", port: closed.address.port)])
        }
        // The reactor thread lets go of its sweep just after the last event (and sweeps of tests running
        // alongside end within seconds): wait for none to be left. A sweep its hooks kept alive never goes.
        for _ in 0..<1_000 where ProbeSweep.instances.load(ordering: .relaxed) > 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(ProbeSweep.instances.load(ordering: .relaxed) == 0)
    }

    @Test func thousandNamesCostOneRoundTripNotAThousand() async throws {
        var table: [String: LoopbackDNSServer.Entry] = [:]
        for index in 0..<1_000 { table["h\(index).test"] = .init(v4: ["127.0.0.\(index % 250 + 2)"], delayMilliseconds: 50) }
        let dns = try LoopbackDNSServer(table)
        defer { dns.stop() }
        let closed = try LoopbackListener(kind: .closed, host: "127.0.0.1")
        defer { closed.close() }
        var engine = ProbeEngine(options: Self.fast)
        engine.resolverConfiguration = dns.configuration
        let targets = (0..<1_000).map { ProbeTarget(host: "h\($0).test", port: closed.address.port) }
        let report = await engine.probe(targets)
        #expect(report.results.count == 1_000)
        #expect(report.results.allSatisfy { $0.address != nil && $0.resolveError == nil })
        // Every lookup was in flight at once: each waited about one 50 ms answer, not a queue of them.
        let waits = report.results.compactMap(\.resolveMilliseconds).sorted()
        #expect(waits[waits.count / 2] < 1_000)
    }
}

/// Where the stub resolver cannot stand in (nsswitch.conf asks mDNS, or PROBE_RESOLVER=system),
/// names go to getaddrinfo on threads of their own, handed to the reactor through its eventfd.
@Suite struct SystemResolverTests {
    @Test func theSystemResolverIsUsedWhenAskedFor() {
        #expect(ResolverConfiguration.load(environment: ["PROBE_RESOLVER": "system"]).stubUnusable == "PROBE_RESOLVER=system")
    }

    @Test(.enabled(if: ResolverConfiguration.load().hosts["localhost"]?.contains { $0.host == "127.0.0.1" } == true,
                   "/etc/hosts does not list localhost as 127.0.0.1: getaddrinfo could ask a real name server"))
    func namesResolveThroughGetaddrinfoThreads() async throws {
        let listener = try LoopbackListener(kind: .open, host: "127.0.0.1")
        defer { listener.close() }
        var configuration = ResolverConfiguration.load()
        configuration.stubUnusable = "test"
        var engine = ProbeEngine(options: ProbeOptions(rate: 0, samples: 1, intervalMilliseconds: 0))
        engine.resolverConfiguration = configuration
        engine.options.family = .ipv4
        let report = await engine.probe([ProbeTarget(host: "localhost", port: listener.address.port), ProbeTarget(host: "127.0.0.1", port: listener.address.port)])
        let named = try #require(report.results.first)
        #expect(named.address?.host == "127.0.0.1" && named.state == .open)
        #expect(named.resolveMilliseconds != nil && named.resolveError == nil)
    }
}
