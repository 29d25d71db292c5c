import Testing
@testable import Prober

@Suite struct RTTStatisticsTests {
    @Test func figuresOfKnownSamples() throws {
        let stats = try #require(RTTStatistics(samplesInSendOrder: [10, 30, 20, 40]))
        #expect(stats.min == 10)
        #expect(stats.max == 40)
        #expect(stats.mean == 25)
        #expect(stats.median == 25)
        #expect(abs(stats.p90 - 37) < 1e-9)  // 30 + 0.7 * (40 - 30)
        #expect(abs(stats.stddev - 12.909944487358056) < 1e-9)
        #expect(abs(stats.jitter - (20.0 + 10 + 20) / 3) < 1e-9)
    }

    @Test func singleSampleHasNoSpread() throws {
        let stats = try #require(RTTStatistics(samplesInSendOrder: [5]))
        #expect(stats.median == 5 && stats.p90 == 5 && stats.stddev == 0 && stats.jitter == 0)
    }

    @Test func noSamplesNoFigures() {
        #expect(RTTStatistics(samplesInSendOrder: []) == nil)
    }

    @Test func resultCountsLossAndState() {
        let target = ProbeTarget(host: "127.0.0.1", port: 1)
        let address = SocketAddress(numericHost: "127.0.0.1", port: 1)
        let result = TargetResult(index: 0, target: target, address: address, samples: [
            ProbeSample(index: 0, outcome: .refused, rttNanoseconds: 2_000_000, timing: .monotonic),
            ProbeSample(index: 1, outcome: .timeout),
            ProbeSample(index: 2, outcome: .open, rttNanoseconds: 1_000_000, timing: .kernel),
        ])
        #expect(result.sent == 3)
        #expect(result.received == 2)
        #expect(abs(result.loss - 1.0 / 3) < 1e-9)
        #expect(result.state == .open)
        #expect(result.timing == .monotonic)
        #expect(result.rtt?.median == 1.5)
        let unresolved = TargetResult(index: 0, target: target, address: nil, samples: [])
        #expect(unresolved.state == .unresolved && unresolved.loss == 1 && !unresolved.reachable)
    }
}
