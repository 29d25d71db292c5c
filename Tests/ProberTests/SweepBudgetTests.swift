import Testing
@testable import Prober

/// The sweep's budget, resolved once from the options and the machine (issue 28).
@Suite struct SweepBudgetTests {
    @Test func theOptionsUnitsAreConvertedOnce() {
        let budget = SweepBudget.resolve(options: ProbeOptions(timeoutMilliseconds: 1_500, intervalMilliseconds: 0), probes: 10, descriptorRoom: 1_000)
        #expect(budget.timeout == .milliseconds(1_500) && budget.timeoutNanoseconds == 1_500_000_000 && budget.intervalNanoseconds == 0)
        #expect(budget.inFlight == 256 && budget.reason == nil && budget.growth == nil, "a small sweep keeps the default and does not grow")
    }

    @Test func theDescriptorRoomLowersTheStartAndSaysWhy() {
        let budget = SweepBudget.resolve(options: ProbeOptions(maxInFlight: 500), probes: 10, descriptorRoom: 100)
        #expect(budget.requestedInFlight == 500 && budget.inFlight == 100 && budget.ceiling == 100)
        #expect(budget.reason?.contains("500 asked; 100 descriptors are left under 'ulimit -n'") == true, "\(budget.reason ?? "")")
        // ICMP holds no descriptor: only the sequence space bounds it.
        let icmp = SweepBudget.resolve(options: ProbeOptions(maxInFlight: 500), probes: 10, descriptorRoom: nil)
        #expect(icmp.inFlight == 500 && icmp.ceiling == InFlightBudget.maximumInFlight && icmp.reason == nil && icmp.growth == nil)
        // Above the sequence space, with descriptors to spare: that bound is the one named.
        let huge = SweepBudget.resolve(options: ProbeOptions(maxInFlight: 100_000), probes: 10, descriptorRoom: 500_000)
        #expect(huge.inFlight == InFlightBudget.maximumInFlight && huge.reason == "100000 asked; at most 65536 probes are in flight", "\(huge.reason ?? "")")
    }

    @Test func aWideSweepGrowsUnlessTheUserCappedIt() {
        let wide = SweepBudget.resolve(options: ProbeOptions(), probes: 10_000, descriptorRoom: 60_000)
        #expect(wide.growth?.floor == 256 && wide.growth?.ceiling == 60_000)
        var capped = ProbeOptions(maxInFlight: 256)
        capped.growsInFlight = false
        #expect(SweepBudget.resolve(options: capped, probes: 10_000, descriptorRoom: 60_000).growth == nil, "--max-in-flight is a hard cap")
    }

    /// 10,000 pings on one socket are bounded by the rate and the timeout, not by the TCP default of
    /// 256 in flight (held to it, the simulated 50-250 ms fleet took 10.7 s instead of about 2).
    @Test func aWideICMPSweepGrowsWithinTheSequenceSpace() {
        let icmp = SweepBudget.resolve(options: ProbeOptions(), probes: 10_000, descriptorRoom: nil)
        #expect(icmp.growth?.ceiling == InFlightBudget.maximumInFlight)
        #expect((icmp.growth?.cap ?? 0) >= 2_500, "seeded at rate x 250 ms x 1.25: \(icmp.growth?.cap ?? 0)")
        var capped = ProbeOptions(maxInFlight: 256)
        capped.growsInFlight = false
        #expect(SweepBudget.resolve(options: capped, probes: 10_000, descriptorRoom: nil).growth == nil, "--max-in-flight caps pings too")
        // No rate to size from: a wide ping sweep at --rate 0 starts at the sequence space (TCP stays at 256).
        let unlimited = SweepBudget.resolve(options: ProbeOptions(rate: 0), probes: 3_000, descriptorRoom: nil)
        #expect(unlimited.inFlight == InFlightBudget.maximumInFlight && unlimited.growth == nil)
        #expect(unlimited.reason?.contains("only the 65536 sequence numbers bound them") == true, "\(unlimited.reason ?? "")")
        #expect(SweepBudget.resolve(options: ProbeOptions(rate: 0), probes: 3_000, descriptorRoom: 60_000).inFlight == 256)
    }
}
