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
}
