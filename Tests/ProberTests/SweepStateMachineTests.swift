import Testing
@testable import Prober

/// The sweep logic, driven by a fake clock: no sockets, no sleeping.
@Suite struct SweepStateMachineTests {
    typealias Machine = SweepStateMachine
    static let t0 = MonotonicInstant(nanoseconds: 1_000_000_000)

    static func at(ms: Double) -> MonotonicInstant { t0.advanced(byNanoseconds: UInt64(ms * 1_000_000)) }

    /// Takes every action available at `now`; returns the starts and the wait.
    static func drain(_ machine: inout Machine, now: MonotonicInstant)
        -> (starts: [(Machine.ProbeHandle, Int, Int)], expired: [Machine.ProbeHandle], wait: MonotonicInstant?, finished: Bool)
    {
        var starts: [(Machine.ProbeHandle, Int, Int)] = []
        var expired: [Machine.ProbeHandle] = []
        while true {
            switch machine.nextAction(now: now) {
            case .start(let handle, let target, let sample): starts.append((handle, target, sample))
            case .expire(let handle):
                expired.append(handle)
                _ = machine.complete(handle, sample: ProbeSample(index: 0, outcome: .timeout))
            case .prune(let handle):
                expired.append(handle)
                _ = machine.complete(handle, sample: ProbeSample(index: 0, outcome: .pruned))
            case .wait(let until): return (starts, expired, until, false)
            case .finished: return (starts, expired, nil, true)
            }
        }
    }

    static let open = ProbeSample(index: 0, outcome: .open, rttNanoseconds: 1_000, timing: .kernel)

    @Test(arguments: [1, 4, 64])
    func neverMoreInFlightThanTheCap(cap: Int) {
        var machine = Machine(targetCount: 100, options: ProbeOptions(rate: 0, samples: 2, intervalMilliseconds: 0), cap: cap, start: Self.t0)
        var now = Self.t0
        var finishedTargets = 0
        while true {
            let step = Self.drain(&machine, now: now)
            #expect(machine.inFlight <= cap)
            if step.finished { break }
            for (handle, _, _) in step.starts where machine.complete(handle, sample: Self.open) != nil {
                finishedTargets += 1
            }
            now = now.advanced(byNanoseconds: 1_000)
        }
        #expect(finishedTargets == 100)
        #expect(machine.peakInFlight == cap)
        #expect(machine.started == 200)
    }

    @Test func rateCapPacesStarts() {
        // 1,000 per second: a burst of one token, then one start per millisecond.
        var machine = Machine(targetCount: 10, options: ProbeOptions(rate: 1_000, samples: 1), cap: 100, start: Self.t0)
        var first = Self.drain(&machine, now: Self.t0)
        #expect(first.starts.count == 1)
        #expect(first.wait == Self.at(ms: 1))
        first = Self.drain(&machine, now: Self.at(ms: 0.5))
        #expect(first.starts.isEmpty)
        let second = Self.drain(&machine, now: Self.at(ms: 1))
        #expect(second.starts.count == 1)
        let later = Self.drain(&machine, now: Self.at(ms: 5))
        #expect(later.starts.count == 1)  // the bucket holds one token, not a backlog of four
    }

    @Test func unlimitedRateStartsEverythingAtOnce() {
        var machine = Machine(targetCount: 50, options: ProbeOptions(rate: 0, samples: 1), cap: 1_000, start: Self.t0)
        #expect(Self.drain(&machine, now: Self.t0).starts.count == 50)
    }

    @Test func samplesOfOneTargetAreSpacedByTheInterval() {
        var machine = Machine(targetCount: 1, options: ProbeOptions(rate: 0, samples: 3, intervalMilliseconds: 20), cap: 10, start: Self.t0)
        var step = Self.drain(&machine, now: Self.t0)
        #expect(step.starts.map(\.2) == [0])
        #expect(step.wait == Self.at(ms: 20))
        _ = machine.complete(step.starts[0].0, sample: Self.open)
        step = Self.drain(&machine, now: Self.at(ms: 19.9))
        #expect(step.starts.isEmpty)
        step = Self.drain(&machine, now: Self.at(ms: 20))
        #expect(step.starts.map(\.2) == [1])
    }

    @Test func timeoutsExpireAtTheDeadlineNotBefore() {
        var machine = Machine(targetCount: 2, options: ProbeOptions(rate: 0, timeoutMilliseconds: 300, samples: 1), cap: 10, start: Self.t0)
        let started = Self.drain(&machine, now: Self.t0)
        #expect(started.starts.count == 2)
        #expect(started.wait == Self.at(ms: 300))
        #expect(Self.drain(&machine, now: Self.at(ms: 299.999)).expired.isEmpty)
        let expired = Self.drain(&machine, now: Self.at(ms: 300))
        #expect(expired.expired.count == 2)
        #expect(expired.finished)
    }

    @Test func staleCompletionsAreDropped() {
        var machine = Machine(targetCount: 1, options: ProbeOptions(rate: 0, timeoutMilliseconds: 10, samples: 2, intervalMilliseconds: 0), cap: 1, start: Self.t0)
        let first = Self.drain(&machine, now: Self.t0).starts[0].0
        let expired = Self.drain(&machine, now: Self.at(ms: 10))
        #expect(expired.expired == [first])
        // The slot was reused by sample 1: a late event for sample 0 must not complete it.
        #expect(expired.starts.count == 1)
        #expect(!machine.isCurrent(first))
        #expect(machine.complete(first, sample: Self.open) == nil)
        let done = machine.complete(expired.starts[0].0, sample: Self.open)
        #expect(done?.samples.map(\.outcome) == [.timeout, .open])
    }

    @Test func runningOutOfDescriptorsLowersTheCapAndRetries() {
        var machine = Machine(targetCount: 10, options: ProbeOptions(rate: 0, samples: 1), cap: 8, start: Self.t0)
        let step = Self.drain(&machine, now: Self.t0)
        #expect(step.starts.count == 8)
        // The 6th socket() failed with EMFILE: five are in flight, so the cap becomes 5.
        for (handle, _, _) in step.starts.suffix(3) {
            let requeued = machine.requeue(handle, now: Self.t0)
            #expect(requeued)
        }
        #expect(machine.cap == 5)
        #expect(machine.inFlight == 5)
        var done = 0
        var now = Self.t0
        var pending = step.starts.prefix(5).map(\.0)
        while done < 10 {
            for handle in pending where machine.complete(handle, sample: Self.open) != nil { done += 1 }
            now = now.advanced(byNanoseconds: 1)
            let next = Self.drain(&machine, now: now)
            #expect(machine.inFlight <= 5)
            pending = next.starts.map(\.0)
            if next.finished { break }
        }
        #expect(done == 10)
    }

    /// Regression: `ulimit -n 10` hung `--best` for ever. The only probe in flight could not open its
    /// socket; requeue refused (nothing else would free a descriptor) but had already released the
    /// slot, so the error sample was dropped as stale and the target never became final.
    @Test func descriptorFailureWithNothingElseInFlightStillCompletesTheTarget() {
        var machine = Machine(targetCount: 2, options: ProbeOptions(rate: 0, samples: 1), cap: 1, start: Self.t0)
        var now = Self.t0
        var done = 0
        for _ in 0..<10 {
            let step = Self.drain(&machine, now: now)
            if step.finished { break }
            for (handle, _, _) in step.starts {
                let requeued = machine.requeue(handle, now: now)
                #expect(!requeued)
                #expect(machine.isCurrent(handle))
                if machine.complete(handle, sample: ProbeSample(index: 0, outcome: .error(errno: "EMFILE"))) != nil { done += 1 }
            }
            now = now.advanced(byNanoseconds: 1)
        }
        #expect(done == 2)
        #expect(machine.nextAction(now: now) == .finished)
    }

    @Test func zeroTargetsFinishAtOnce() {
        var machine = Machine(targetCount: 0, options: ProbeOptions(), cap: 4, start: Self.t0)
        #expect(machine.nextAction(now: Self.t0) == .finished)
    }

    @Test func aCutoffPrunesEachProbeCountedFromItsOwnStart() {
        var machine = Machine(targetCount: 3, options: ProbeOptions(rate: 0, timeoutMilliseconds: 1_000, samples: 1), cap: 10, start: Self.t0)
        let first = Self.drain(&machine, now: Self.t0).starts
        #expect(first.count == 3)
        // Target 0 answers at 5 ms and sets a 12.5 ms cutoff: the others, started at 0, end at 12.5 ms.
        _ = machine.complete(first[0].0, sample: Self.open)
        machine.tighten(cutoffNanoseconds: 12_500_000)
        #expect(Self.drain(&machine, now: Self.at(ms: 5)).wait == Self.at(ms: 12.5))
        #expect(Self.drain(&machine, now: Self.at(ms: 12.4)).expired.isEmpty)
        let pruned = Self.drain(&machine, now: Self.at(ms: 12.5))
        #expect(pruned.expired.count == 2 && pruned.finished)
        #expect(machine.prunedCount == 2)
    }

    @Test(arguments: [UInt64(5_000_000), 50_000_000, 2_000_000_000])
    func aCutoffOnlyEverTightens(later: UInt64) {
        var machine = Machine(targetCount: 1, options: ProbeOptions(rate: 0, timeoutMilliseconds: 1_000, samples: 1), cap: 1, start: Self.t0)
        machine.tighten(cutoffNanoseconds: 10_000_000)
        machine.tighten(cutoffNanoseconds: later)
        #expect(machine.cutoffNanoseconds == min(10_000_000, later))
    }

    @Test func probesStartedAfterTheCutoffGetTheirWholeCutoff() {
        var machine = Machine(targetCount: 2, options: ProbeOptions(rate: 1_000, timeoutMilliseconds: 1_000, samples: 1), cap: 10, start: Self.t0)
        machine.tighten(cutoffNanoseconds: 10_000_000)
        #expect(Self.drain(&machine, now: Self.t0).starts.count == 1)
        #expect(Self.drain(&machine, now: Self.at(ms: 1)).starts.count == 1)  // the second starts at 1 ms
        #expect(Self.drain(&machine, now: Self.at(ms: 10)).expired.count == 1)
        #expect(Self.drain(&machine, now: Self.at(ms: 10.9)).expired.isEmpty)
        #expect(Self.drain(&machine, now: Self.at(ms: 11)).expired.count == 1)
    }
}

/// A sweep that takes work while it runs: the early answer's finalists on the same machine.
@Suite struct LiveSweepStateMachineTests {
    typealias Machine = SweepStateMachine
    static let t0 = MonotonicInstant(nanoseconds: 1_000_000_000)

    static func started(_ action: Machine.Action) -> (Machine.ProbeHandle, Int)? {
        if case .start(let handle, let target, _) = action { return (handle, target) }
        return nil
    }

    @Test func heldOpenItWaitsForWorkThenMeasuresAddedJobsWithTheirOwnSpec() throws {
        var machine = Machine(targetCount: 1, options: ProbeOptions(rate: 0, timeoutMilliseconds: 1_000, samples: 1), cap: 4, start: Self.t0)
        machine.holdOpen = true
        let (first, _) = try #require(Self.started(machine.nextAction(now: Self.t0)))
        #expect(machine.complete(first, sample: ProbeSample(index: 0, outcome: .reply, rttNanoseconds: 1_000_000)) != nil)
        #expect(machine.nextAction(now: Self.t0) == .wait(until: nil))  // every job final, but held open
        let jobs = machine.add([Machine.JobSpec(samples: 1, timeoutNanoseconds: 50_000_000, prunable: false)], now: Self.t0)
        #expect(jobs == 1..<2)
        let (probe, job) = try #require(Self.started(machine.nextAction(now: Self.t0)))
        #expect(job == 1)
        // Its own 50 ms timeout, not the sweep's 1 s.
        #expect(machine.nextAction(now: Self.t0.advanced(byNanoseconds: 49_000_000)) == .wait(until: Self.t0.advanced(byNanoseconds: 50_000_000)))
        #expect(machine.nextAction(now: Self.t0.advanced(byNanoseconds: 50_000_000)) == .expire(probe))
        #expect(machine.complete(probe, sample: ProbeSample(index: 0, outcome: .timeout))?.target == 1)
        #expect(machine.nextAction(now: Self.t0.advanced(byNanoseconds: 50_000_000)) == .wait(until: nil))
        machine.holdOpen = false
        #expect(machine.nextAction(now: Self.t0.advanced(byNanoseconds: 50_000_000)) == .finished)
    }

    @Test func aCutoffNeverPrunesAFinalistAndADroppedJobClosesItsProbes() throws {
        var machine = Machine(targetCount: 1, options: ProbeOptions(rate: 0, timeoutMilliseconds: 1_000, samples: 1), cap: 4, start: Self.t0)
        machine.holdOpen = true
        let (firstRound, _) = try #require(Self.started(machine.nextAction(now: Self.t0)))
        _ = machine.add([Machine.JobSpec(samples: 1, timeoutNanoseconds: 1_000_000_000, prunable: false)], now: Self.t0)
        let (finalist, _) = try #require(Self.started(machine.nextAction(now: Self.t0)))
        machine.tighten(cutoffNanoseconds: 10_000_000)
        // At 11 ms the first-round probe is pruned; the finalist is not.
        #expect(machine.nextAction(now: Self.t0.advanced(byNanoseconds: 11_000_000)) == .prune(firstRound))
        _ = machine.complete(firstRound, sample: ProbeSample(index: 0, outcome: .pruned))
        #expect(machine.nextAction(now: Self.t0.advanced(byNanoseconds: 11_000_000)) == .wait(until: Self.t0.advanced(byNanoseconds: 1_000_000_000)))
        // Dropped: its probe in flight is closed, its sample never reported, and the job counts as final.
        machine.drop(1)
        #expect(machine.nextAction(now: Self.t0.advanced(byNanoseconds: 12_000_000)) == .prune(finalist))
        #expect(machine.complete(finalist, sample: ProbeSample(index: 0, outcome: .pruned)) == nil)
        machine.holdOpen = false
        #expect(machine.nextAction(now: Self.t0.advanced(byNanoseconds: 12_000_000)) == .finished)
    }

    /// The token bucket is shared: added jobs wait for tokens like the first ones.
    @Test func addedJobsShareTheRate() throws {
        var machine = Machine(targetCount: 1, options: ProbeOptions(rate: 1_000, timeoutMilliseconds: 1_000, samples: 1), cap: 100, start: Self.t0)
        machine.holdOpen = true
        _ = try #require(Self.started(machine.nextAction(now: Self.t0)))
        _ = machine.add(Array(repeating: Machine.JobSpec(samples: 1, timeoutNanoseconds: 1_000_000_000, prunable: false), count: 10), now: Self.t0)
        // One token per ms at 1,000/s: the second start waits for the next token.
        if case .wait(let until) = machine.nextAction(now: Self.t0) {
            #expect(until == Self.t0.advanced(byNanoseconds: 1_000_000))
        } else {
            Issue.record("an added job started without a token")
        }
    }
}

/// Which probes an address gets, for the first round, a full sweep and a live request alike.
@Suite struct SweepJobPlanTests {
    struct Row: Sendable {
        var methods: Set<ProbeKind>, icmp: Bool, portKnown: Bool, firstRound: Bool, plan: SweepJobPlan.Plan
        var handshake: ProbeKind? = nil
    }
    static let auto: Set<ProbeKind> = [.tcp, .icmp, .wireguard, .openvpn]

    static let rows: [Row] = [
        Row(methods: [.tcp, .icmp], icmp: true, portKnown: true, firstRound: true, plan: .probe([.icmp])),
        Row(methods: [.tcp, .icmp], icmp: false, portKnown: true, firstRound: true, plan: .probe([.tcp])),
        Row(methods: [.tcp], icmp: false, portKnown: true, firstRound: true, plan: .probe([.tcp])),
        Row(methods: [.icmp], icmp: false, portKnown: true, firstRound: true, plan: .probe([])),
        Row(methods: [.tcp, .icmp], icmp: true, portKnown: true, firstRound: false, plan: .probe([.tcp, .icmp])),
        Row(methods: [.tcp, .icmp], icmp: true, portKnown: false, firstRound: false, plan: .probe([.icmp])),
        Row(methods: [.tcp, .icmp], icmp: false, portKnown: false, firstRound: false, plan: .unmeasurable),
        Row(methods: [.tcp], icmp: true, portKnown: false, firstRound: false, plan: .unmeasurable),
        Row(methods: [.tcp], icmp: false, portKnown: true, firstRound: false, plan: .probe([.tcp])),
        Row(methods: [.icmp], icmp: true, portKnown: false, firstRound: true, plan: .probe([.icmp])),
        // Keys for the service's own handshake: where it is among the methods, it alone measures.
        Row(methods: auto, icmp: true, portKnown: false, firstRound: false, plan: .probe([.wireguard]), handshake: .wireguard),
        Row(methods: auto, icmp: true, portKnown: false, firstRound: true, plan: .probe([.wireguard]), handshake: .wireguard),
        Row(methods: auto, icmp: true, portKnown: true, firstRound: false, plan: .probe([.openvpn]), handshake: .openvpn),
        Row(methods: auto, icmp: true, portKnown: false, firstRound: false, plan: .probe([.icmp])),
        Row(methods: auto, icmp: true, portKnown: true, firstRound: false, plan: .probe([.tcp, .icmp])),
        Row(methods: [.tcp, .icmp], icmp: true, portKnown: false, firstRound: false, plan: .probe([.icmp]), handshake: .wireguard),
        Row(methods: [.wireguard], icmp: true, portKnown: false, firstRound: false, plan: .probe([.wireguard]), handshake: .wireguard),
        Row(methods: [.wireguard], icmp: true, portKnown: true, firstRound: false, plan: .noHandshake, handshake: .openvpn),
        Row(methods: [.openvpn], icmp: true, portKnown: true, firstRound: false, plan: .noHandshake),
    ]

    @Test(arguments: 0..<rows.count)
    func thePlan(_ index: Int) {
        let row = Self.rows[index]
        #expect(SweepJobPlan.plan(methods: row.methods, icmpRuns: row.icmp, portKnown: row.portKnown, firstRound: row.firstRound,
                                  handshake: row.handshake) == row.plan)
    }
}

extension LiveSweepStateMachineTests {
    /// A finalist added while the first round still has probes to send starts before them: the
    /// answer waits for the finalists, the rest of the first round can wait a little.
    @Test func priorityJobsStartBeforeTheRestOfTheFirstRound() throws {
        var machine = Machine(targetCount: 100, options: ProbeOptions(rate: 0, timeoutMilliseconds: 1_000, samples: 1, intervalMilliseconds: 20), cap: 1_000, start: Self.t0)
        machine.holdOpen = true
        for _ in 0..<10 { _ = try #require(Self.started(machine.nextAction(now: Self.t0))) }
        let later = Self.t0.advanced(byNanoseconds: 5_000_000)
        let added = machine.add([Machine.JobSpec(samples: 2, timeoutNanoseconds: 1_000_000_000, prunable: false, priority: true)], now: later)
        let (_, job) = try #require(Self.started(machine.nextAction(now: later)))
        #expect(job == added.lowerBound)
        // Its second sample, once eligible (20 ms on), again goes before the remaining first-round probes.
        let second = later.advanced(byNanoseconds: 20_000_000)
        let (_, again) = try #require(Self.started(machine.nextAction(now: second)))
        #expect(again == added.lowerBound)
        machine.holdOpen = false
    }
}

extension SweepStateMachineTests {
    /// A handshake job's samples run one at a time, each at least its minimum spacing after the
    /// last one's start (25 ms: a WireGuard server drops a peer's initiations closer than 20 ms),
    /// whatever the sweep's interval; other jobs keep theirs.
    @Test func serialJobsWaitForTheLastSampleAndTheirSpacing() throws {
        var machine = Machine(targetCount: 2, options: ProbeOptions(rate: 0, timeoutMilliseconds: 1_000, samples: 3, intervalMilliseconds: 0),
                              cap: 100, start: Self.t0)
        machine.makeSerial(0, minimumIntervalNanoseconds: 25_000_000)
        let first = Self.drain(&machine, now: Self.t0)
        // Job 1 (not serial) starts all three at once; job 0 one.
        #expect(first.starts.filter { $0.1 == 0 }.count == 1 && first.starts.filter { $0.1 == 1 }.count == 3)
        for (other, target, _) in first.starts where target == 1 { _ = machine.complete(other, sample: Self.open) }
        let handle = try #require(first.starts.first { $0.1 == 0 }?.0)
        // Answered after 2 ms: the next may start 25 ms after the first began, not before.
        #expect(machine.complete(handle, sample: Self.open) == nil)
        #expect(Self.drain(&machine, now: Self.at(ms: 2)).starts.isEmpty)
        #expect(Self.drain(&machine, now: Self.at(ms: 24.9)).starts.isEmpty)
        let second = Self.drain(&machine, now: Self.at(ms: 25))
        #expect(second.starts.map(\.1) == [0] && second.starts.first?.2 == 1)
        // Unanswered: the third waits for its timeout (1 s), then starts at once.
        let third = Self.drain(&machine, now: Self.at(ms: 500))
        #expect(third.starts.isEmpty)
        let expired = Self.drain(&machine, now: Self.at(ms: 1_025))
        #expect(expired.expired.count == 1 && expired.starts.map(\.1) == [0] && expired.starts.first?.2 == 2)
    }

    /// Given when a sample ended (the sweep does for handshakes), the spacing counts from then: a
    /// late answer (the server busy, the send delayed) never brings the next initiation within the
    /// server's 20 ms window of the last one it consumed.
    @Test func serialSpacingCountsFromTheAnswerWhenGiven() throws {
        var machine = Machine(targetCount: 1, options: ProbeOptions(rate: 0, timeoutMilliseconds: 1_000, samples: 2, intervalMilliseconds: 0),
                              cap: 10, start: Self.t0)
        machine.makeSerial(0, minimumIntervalNanoseconds: 25_000_000)
        let handle = try #require(Self.drain(&machine, now: Self.t0).starts.first?.0)
        #expect(machine.complete(handle, sample: Self.open, now: Self.at(ms: 10)) == nil)
        #expect(Self.drain(&machine, now: Self.at(ms: 34.9)).starts.isEmpty)
        #expect(Self.drain(&machine, now: Self.at(ms: 35)).starts.map(\.2) == [1])
    }
}
