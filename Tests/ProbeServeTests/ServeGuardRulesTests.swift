import Testing
@testable import ProbeKit
@testable import ProbeServe

/// The pure rules behind `probe serve`'s defences: the connection ledger, the auth back-off and
/// the Host/Origin rule (time given by the test).
@Suite struct ServeGuardRulesTests {
    @Test func theLedgerEvictsWhoOwesLongestAndRefusesOnlyWhenAllAreAnswered() {
        var ledger = ConnectionLedger(limits: .init(maxConnections: 3, headerTimeout: .seconds(10), idleTimeout: .seconds(60)))
        #expect(ledger.opened(1, at: .seconds(0)).isEmpty)
        #expect(ledger.opened(2, at: .seconds(1)).isEmpty)
        ledger.requestHead(2, complete: false, at: .seconds(1))
        ledger.requestEnd(2)  // 2 is being answered (a long poll)
        #expect(ledger.opened(3, at: .seconds(2)).isEmpty)
        // At the cap: 1 has owed its header longest.
        #expect(ledger.opened(4, at: .seconds(3)) == [.close(1, .evicted)])
        ledger.requestHead(3, complete: true, at: .seconds(3))
        ledger.requestHead(4, complete: true, at: .seconds(3))
        // Everyone is being answered: the newcomer is refused.
        #expect(ledger.opened(5, at: .seconds(4)) == [.close(5, .refused)])
        #expect(ledger.count == 3)
        // Answered connections wait for their next request up to the idle timeout.
        ledger.answered(3, at: .seconds(5))
        #expect(ledger.tick(at: .seconds(64)).isEmpty)
        #expect(ledger.tick(at: .seconds(65)) == [.close(3, .idleTimeout)])
        ledger.closed(2)
        ledger.closed(4)
        #expect(ledger.count == 0)
    }

    @Test func aHalfSentHeaderOrBodyRunsOutOfTime() {
        var ledger = ConnectionLedger(limits: .init(maxConnections: 10, headerTimeout: .seconds(10), idleTimeout: .seconds(60)))
        _ = ledger.opened(1, at: .zero)
        _ = ledger.opened(2, at: .zero)
        ledger.requestHead(2, complete: false, at: .seconds(5))  // a body still to come
        #expect(ledger.tick(at: .seconds(9)).isEmpty)
        #expect(ledger.tick(at: .seconds(10)) == [.close(1, .headerTimeout)])
        #expect(ledger.tick(at: .seconds(15)) == [.close(2, .headerTimeout)])
    }

    @Test func theBackOffDoublesPerSourceAndARightPasswordClearsIt() {
        var throttle = AuthThrottle(initial: .seconds(1), maximum: .seconds(8), capacity: 2)
        #expect(throttle.wait("a", at: .zero) == nil)
        throttle.failed("a", at: .zero)
        #expect(throttle.wait("a", at: .milliseconds(500)) == .milliseconds(500))
        #expect(throttle.wait("b", at: .milliseconds(500)) == nil)
        #expect(throttle.wait("a", at: .seconds(1)) == nil)
        throttle.failed("a", at: .seconds(1))
        #expect(throttle.wait("a", at: .seconds(1)) == .seconds(2))
        for second in 2...10 { throttle.failed("a", at: .seconds(second)) }
        #expect(throttle.wait("a", at: .seconds(10)) == .seconds(8))  // capped
        throttle.succeeded("a")
        #expect(throttle.wait("a", at: .seconds(10)) == nil)
        // Bounded: a third source pushes out the one whose back-off ends first.
        throttle.failed("b", at: .seconds(20))
        throttle.failed("c", at: .seconds(21))
        throttle.failed("d", at: .seconds(21))
        #expect(throttle.wait("b", at: .seconds(21)) == nil && throttle.wait("d", at: .seconds(21)) != nil)
    }

    @Test func hostsAndOrigins() {
        let rule = HostRule(names: ["Probe.LAN"])
        for admitted in ["127.0.0.1:9374", "127.0.0.1", "[::1]:9374", "localhost:9374", "LOCALHOST", "a.localhost", "probe.lan:9374", "198.18.0.1"] {
            #expect(rule.admits(host: admitted), "\(admitted)")
        }
        for refused in ["evil.example", "evil.example:9374", "127.0.0.1.evil.example", "localhost.evil.example", "", "a b", "x@127.0.0.1", "127.0.0.1:99999", "[::1"] {
            #expect(!rule.admits(host: refused), "\(refused)")
        }
        #expect(rule.admits(origin: nil, host: "127.0.0.1:9374"))
        #expect(rule.admits(origin: "http://127.0.0.1:9374", host: "127.0.0.1:9374"))
        #expect(!rule.admits(origin: "http://evil.example", host: "127.0.0.1:9374"))
        #expect(!rule.admits(origin: "null", host: "127.0.0.1:9374"))
        #expect(!rule.admits(origin: "http://evil.example:9374", host: "evil.example:9374"))
        #expect(HostRule(names: ["*"]).admits(host: "anything.example"))
    }
}
