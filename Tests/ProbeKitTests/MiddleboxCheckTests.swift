import Testing
@testable import ProbeKit
@testable import Prober

/// The middlebox heuristic on its own (it decides whether a run ranks on ICMP).
@Suite struct MiddleboxCheckTests {
    static func result(_ index: Int, host: String, rtt: Double) throws -> TargetResult {
        let sample = ProbeSample(index: 0, outcome: .open, rttNanoseconds: UInt64(rtt * 1_000_000), timing: .kernel)
        return TargetResult(index: index, target: try ProbeTarget(parsing: host + ":443"), address: SocketAddress(numericHost: host, port: 443),
                            tcp: Measurement(method: .tcp, samples: [sample]))
    }

    static func results(_ rtts: [Double], base: String = "198.18.0.") throws -> [TargetResult] {
        try rtts.enumerated().map { try result($0.offset, host: base + String($0.offset + 1), rtt: $0.element) }
    }

    @Test func fiveRemoteServersAnsweringAlikeUnderAMillisecondAreAMiddlebox() throws {
        #expect(MiddleboxCheck.suspected(try Self.results([0.3, 0.4, 0.5, 0.6, 0.7])) == 5)
        // Most, not all: one real answer among them does not clear the path.
        #expect(MiddleboxCheck.suspected(try Self.results([0.3, 0.4, 0.5, 0.6, 0.7, 40])) == 5)
    }

    @Test func fewSpreadOrLoopbackAnswersAreNot() throws {
        #expect(MiddleboxCheck.suspected(try Self.results([0.3, 0.4, 0.5, 0.6])) == nil, "four are too few to tell")
        #expect(MiddleboxCheck.suspected(try Self.results([0.1, 0.2, 0.3, 0.4, 0.9])) == nil, "spread over more than 0.5 ms")
        #expect(MiddleboxCheck.suspected(try Self.results([0.3, 0.4, 0.5, 0.6, 0.7, 30, 40])) == nil, "under 80% of the answers")
        #expect(MiddleboxCheck.suspected(try Self.results([0.3, 0.4, 0.5, 0.6, 0.7], base: "127.0.0.")) == nil, "loopback is fast anyway")
    }
}
