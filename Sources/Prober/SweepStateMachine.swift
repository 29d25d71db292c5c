/// The pure logic of a sweep: which sample to start next, when to wait, which probe timed out.
///
/// No I/O and no clock: every method takes `now`, so tests drive it without sleeping
/// (the swift-async-algorithms style). The I/O shell (``TCPConnectSweep``) asks
/// ``nextAction(now:)`` in a loop, performs what it returns, and reports each probe's end
/// with ``complete(_:sample:)``.
///
/// Rules it enforces:
/// - at most `cap` probes in flight (the `maxInFlight` option, lowered to fit `RLIMIT_NOFILE`,
///   grown by an ``InFlightBudget`` when one is set, and lowered again, for good, if the system
///   still runs out of descriptors);
/// - a global token bucket of `rate` starts per second (burst: 1 ms worth, at least one);
/// - at least `interval` between the starts of two samples of one target;
/// - every probe ends by its deadline (`timeout` after its start).
struct SweepStateMachine {
    /// What the I/O shell should do next.
    enum Action: Equatable {
        /// Open a socket and start sample `sample` of target `target`, tagged with `handle`.
        case start(ProbeHandle, target: Int, sample: Int)
        /// The probe behind `handle` timed out: close its socket, then report it with ``complete(_:sample:)``.
        case expire(ProbeHandle)
        /// The probe behind `handle` is still unanswered at the cutoff (see ``tighten(cutoffNanoseconds:)``):
        /// it can no longer matter; close its socket and report it as pruned.
        case prune(ProbeHandle)
        /// Nothing to do before this instant (`nil`: until an I/O event arrives).
        case wait(until: MonotonicInstant?)
        /// Every target is final.
        case finished
    }

    /// A probe in flight: slot index and generation, packed into epoll's 64-bit user data.
    struct ProbeHandle: Hashable {
        var slot: UInt32
        var generation: UInt32
        var packed: UInt64 { UInt64(slot) << 32 | UInt64(generation) }
        init(slot: UInt32, generation: UInt32) {
            self.slot = slot
            self.generation = generation
        }
        init(packed: UInt64) {
            slot = UInt32(truncatingIfNeeded: packed >> 32)
            generation = UInt32(truncatingIfNeeded: packed)
        }
    }

    struct Slot {
        var generation: UInt32 = 0
        var busy = false
        var target = 0
        var sample = 0
        var deadline = MonotonicInstant(nanoseconds: 0)
        var startedAt = MonotonicInstant(nanoseconds: 0)
    }

    /// A pending sample start: target `target` may start its next sample at `eligible`.
    struct Pending: Comparable {
        var eligible: MonotonicInstant
        var order: UInt64
        var target: Int
        static func < (lhs: Pending, rhs: Pending) -> Bool {
            lhs.eligible != rhs.eligible ? lhs.eligible < rhs.eligible : lhs.order < rhs.order
        }
    }

    /// What one job asks for: how many samples, each ending by `timeout` after its start, and
    /// whether the first round's cutoff may prune it.
    struct JobSpec: Hashable {
        var samples: Int
        var timeoutNanoseconds: UInt64
        var prunable: Bool
        /// Its samples start before any other job's that is eligible too (the early answer's
        /// finalists: the answer waits for them, while the rest of the first round can wait).
        var priority: Bool = false
        /// One sample in flight at a time: the next starts no sooner than
        /// ``minimumIntervalNanoseconds`` after the last one ended (handshake probes: a server
        /// ignores an initiation from the same peer that comes within 20 ms of the last it consumed).
        var serial: Bool = false
        /// The least time between the starts of two of its samples, beside the sweep's interval.
        var minimumIntervalNanoseconds: UInt64 = 0
    }

    /// An entry of the deadline heap: the probe behind `handle` times out at `deadline`.
    struct Deadline: Comparable {
        var deadline: MonotonicInstant
        var order: UInt64
        var handle: ProbeHandle
        static func < (lhs: Deadline, rhs: Deadline) -> Bool {
            lhs.deadline != rhs.deadline ? lhs.deadline < rhs.deadline : lhs.order < rhs.order
        }
    }

    let intervalNanoseconds: UInt64
    let rate: Int

    /// Jobs so far (those given at the start and those added while it runs).
    var targetCount: Int { specs.count }
    /// While set, the sweep does not finish when every job is final: more may be added
    /// (``add(_:now:)``), until the owner clears it.
    var holdOpen = false

    /// The in-flight limit now in force.
    private(set) var cap: Int
    /// Sizes ``cap`` from the probes that end, when the sweep may grow (`nil`: the cap is fixed).
    private(set) var budget: InFlightBudget?
    /// Probes in flight now.
    private(set) var inFlight = 0
    /// The most probes that were ever in flight at once.
    private(set) var peakInFlight = 0
    /// Probes started so far.
    private(set) var started = 0
    /// Jobs whose every sample is final (or that were dropped).
    private(set) var finishedTargets = 0
    /// Prunable probes unanswered this long after their start are pruned (`nil`: only the timeout applies).
    private(set) var cutoffNanoseconds: UInt64?
    /// Probes pruned so far.
    private(set) var prunedCount = 0

    private var specs: [JobSpec]
    private var dropped: [Bool]
    private var slots: [Slot]
    private var freeSlots: [UInt32]
    private var pending: Heap<Pending>
    /// Pending starts of priority jobs: taken before ``pending`` whenever one is eligible.
    private var priorityPending = Heap<Pending>()
    private var pendingOrder: UInt64 = 0
    /// Every probe in flight by its deadline (entries of completed probes are skipped when reached).
    private var deadlines: Heap<Deadline>
    private var deadlineOrder: UInt64 = 0
    /// Prunable probes in start order: with one cutoff for all, also the order they reach it.
    private var prunables: RingBuffer<ProbeHandle>
    /// Probes of dropped jobs still in flight, to close.
    private var droppedInFlight: RingBuffer<ProbeHandle>
    /// Samples whose socket could not be opened (EMFILE), to start again before anything new.
    private var retries: RingBuffer<(target: Int, sample: Int)>
    private var nextSample: [Int]
    /// When each job's last sample started (serial jobs space their samples from it).
    private var lastStart: [MonotonicInstant]
    private var samples: [[ProbeSample]]
    private var tokens: Double
    private let tokenCapacity: Double
    private var lastRefill: MonotonicInstant

    /// A sweep of `targetCount` jobs with the options' samples and rate, `cap` in flight at most
    /// (a budget of its own: for tests and the empty sweep), starting at `start`.
    init(targetCount: Int, options: ProbeOptions, cap: Int, start: MonotonicInstant) {
        var budget = SweepBudget.resolve(options: options, probes: 0, descriptorRoom: nil)
        budget.inFlight = max(1, cap)
        self.init(targetCount: targetCount, budget: budget, samples: options.samples, rate: options.rate, start: start)
    }

    /// A sweep of `targetCount` jobs of `samples` each at `rate` starts a second, within `budget`
    /// (its timeout, interval and in-flight figures, resolved once by the caller), starting at `start`.
    init(targetCount: Int, budget: SweepBudget, samples sampleCount: Int, rate rateLimit: Int, start: MonotonicInstant) {
        let spec = JobSpec(samples: max(1, sampleCount), timeoutNanoseconds: budget.timeoutNanoseconds, prunable: true)
        intervalNanoseconds = budget.intervalNanoseconds
        rate = max(0, rateLimit)
        let cap = max(1, budget.inFlight)
        self.cap = cap
        let slotCount = max(1, min(cap, targetCount * spec.samples))
        slots = Array(repeating: Slot(), count: slotCount)
        freeSlots = (0..<UInt32(slotCount)).reversed()
        specs = Array(repeating: spec, count: targetCount)
        dropped = Array(repeating: false, count: targetCount)
        // Every target is eligible at the start, in input order: a sorted array is a valid heap.
        pending = Heap(sortedElements: (0..<targetCount).map { Pending(eligible: start, order: UInt64($0), target: $0) })
        pendingOrder = UInt64(targetCount)
        deadlines = Heap()
        prunables = RingBuffer(capacity: slotCount)
        droppedInFlight = RingBuffer(capacity: 4)
        retries = RingBuffer(capacity: 4)
        nextSample = Array(repeating: 0, count: targetCount)
        lastStart = Array(repeating: start, count: targetCount)
        samples = Array(repeating: [], count: targetCount)
        tokenCapacity = rate == 0 ? .infinity : max(1, Double(rate) / 1_000)
        tokens = rate == 0 ? .infinity : tokenCapacity
        lastRefill = start
        if let growth = budget.growth { setBudget(growth) }
    }

    /// Adds jobs while the sweep runs (the early answer's finalists); they are eligible at once and
    /// share the in-flight limit and the token bucket with everything else. Returns their numbers.
    mutating func add(_ jobs: [JobSpec], now: MonotonicInstant) -> Range<Int> {
        let first = specs.count
        for spec in jobs {
            let job = specs.count
            specs.append(JobSpec(samples: max(1, spec.samples), timeoutNanoseconds: max(1, spec.timeoutNanoseconds), prunable: spec.prunable,
                                 priority: spec.priority, serial: spec.serial, minimumIntervalNanoseconds: spec.minimumIntervalNanoseconds))
            dropped.append(false)
            nextSample.append(0)
            lastStart.append(now)
            samples.append([])
            if spec.priority {
                priorityPending.insert(Pending(eligible: now, order: pendingOrder, target: job))
            } else {
                pending.insert(Pending(eligible: now, order: pendingOrder, target: job))
            }
            pendingOrder += 1
        }
        return first..<specs.count
    }

    /// Gives up on `job`: nothing more of it starts, its probes in flight are closed (as pruned),
    /// and it counts as final (its samples are never reported).
    mutating func drop(_ job: Int) {
        guard job < specs.count, !dropped[job], !isFinished(job) else { return }
        dropped[job] = true
        samples[job] = []
        finishedTargets += 1
        for index in slots.indices where slots[index].busy && slots[index].target == job {
            droppedInFlight.append(ProbeHandle(slot: UInt32(index), generation: slots[index].generation))
        }
    }

    /// Makes `job` serial (see ``JobSpec/serial``) with at least `minimumIntervalNanoseconds`
    /// between its starts; before its first sample starts (at the start, or right after ``add(_:now:)``).
    mutating func makeSerial(_ job: Int, minimumIntervalNanoseconds: UInt64) {
        guard job < specs.count else { return }
        specs[job].serial = true
        specs[job].minimumIntervalNanoseconds = minimumIntervalNanoseconds
    }

    /// Whether `job` still has samples to start (a dropped job has none).
    func hasSamplesLeft(_ job: Int) -> Bool {
        job < specs.count && !dropped[job] && nextSample[job] < specs[job].samples
    }

    /// Whether `job` has every sample final (dropped jobs report nothing).
    private func isFinished(_ job: Int) -> Bool {
        !dropped[job] && nextSample[job] >= specs[job].samples && samples[job].isEmpty && !slots.contains { $0.busy && $0.target == job }
    }

    /// The next thing to do at `now`.
    mutating func nextAction(now: MonotonicInstant) -> Action {
        // 1. Timeouts and prunes first: they free slots.
        while let front = deadlines.min {
            guard isCurrent(front.handle) else {
                _ = deadlines.removeMin()  // already completed
                continue
            }
            if front.deadline <= now {
                _ = deadlines.removeMin()
                return .expire(front.handle)
            }
            break
        }
        while let front = prunables.first {
            guard isCurrent(front) else {
                prunables.removeFirst()
                continue
            }
            if let cutoff = cutoffNanoseconds, slots[Int(front.slot)].startedAt.advanced(byNanoseconds: cutoff) <= now {
                prunables.removeFirst()
                return .prune(front)
            }
            break
        }
        while let handle = droppedInFlight.first {
            droppedInFlight.removeFirst()
            if isCurrent(handle) { return .prune(handle) }
        }
        if finishedTargets == specs.count, !holdOpen { return .finished }

        // 2. Start the next eligible sample if a slot and a token are free.
        var wakeAt: MonotonicInstant? = deadlines.min?.deadline
        if let front = prunables.first, let cutoff = cutoffNanoseconds {
            wakeAt = earliest(wakeAt, slots[Int(front.slot)].startedAt.advanced(byNanoseconds: cutoff))
        }
        if inFlight < cap, let retry = retries.first {
            retries.removeFirst()
            if !dropped[retry.target] { return occupySlot(target: retry.target, sample: retry.sample, now: now) }
        }
        while let next = pending.min, dropped[next.target] { _ = pending.removeMin() }
        while let next = priorityPending.min, dropped[next.target] { _ = priorityPending.removeMin() }
        // A priority job's eligible start goes first; else the earliest of the rest.
        let fromPriority = priorityPending.min.map { $0.eligible <= now } ?? false
        if inFlight < cap, let next = fromPriority ? priorityPending.min : (pending.min ?? priorityPending.min) {
            if let other = priorityPending.min, !fromPriority { wakeAt = earliest(wakeAt, other.eligible) }
            if next.eligible <= now {
                refill(now: now)
                if tokens >= 1 {
                    tokens -= 1
                    return start(next.target, now: now, priority: fromPriority || pending.min == nil)
                }
                let missing = 1 - tokens
                let tokenAt = now.advanced(byNanoseconds: UInt64((missing * 1e9 / Double(rate)).rounded(.up)))
                wakeAt = earliest(wakeAt, tokenAt)
            } else {
                wakeAt = earliest(wakeAt, next.eligible)
            }
        }
        return .wait(until: wakeAt)
    }

    /// From now on the cap follows `budget` (it starts at the budget's cap and grows with it).
    mutating func setBudget(_ budget: InFlightBudget) {
        self.budget = budget
        cap = max(1, budget.cap)
    }

    /// Lowers the cutoff: from now on, a probe still unanswered `nanoseconds` after its start is
    /// pruned. Only ever lowers it (a later, looser bound changes nothing). One cutoff for all keeps
    /// the deadlines in start order, so the earliest is always at the front.
    mutating func tighten(cutoffNanoseconds nanoseconds: UInt64) {
        guard nanoseconds < (cutoffNanoseconds ?? .max) else { return }
        cutoffNanoseconds = nanoseconds
    }

    /// Records how the probe behind `handle` ended. Returns the target's samples, in send order,
    /// when this was its last outstanding sample; `nil` otherwise or when `handle` is stale.
    /// `now` is when it ended: a serial job's next sample waits its spacing from then (without
    /// it, from the sample's start).
    mutating func complete(_ handle: ProbeHandle, sample: ProbeSample, now: MonotonicInstant? = nil) -> (target: Int, samples: [ProbeSample])? {
        guard isCurrent(handle) else { return nil }
        let slot = slots[Int(handle.slot)]
        release(handle)
        if budget != nil {
            // How long the probe held its socket: to its end, or (no `now`) to its answer.
            let end = now ?? slot.startedAt.advanced(byNanoseconds: sample.rttNanoseconds ?? slot.deadline.nanoseconds(since: slot.startedAt))
            if let grown = budget?.ended(heldNanoseconds: end.nanoseconds(since: slot.startedAt)) { cap = grown }
        }
        guard !dropped[slot.target] else { return nil }
        if sample.outcome == .pruned { prunedCount += 1 }
        if specs[slot.target].serial, nextSample[slot.target] < specs[slot.target].samples {
            // The next sample of a serial job waits for this one's end, then its spacing: counted
            // from the answer, it holds at the server however late this one was sent or consumed.
            let spacing = max(intervalNanoseconds, specs[slot.target].minimumIntervalNanoseconds)
            let ended = max(now ?? lastStart[slot.target], lastStart[slot.target])
            let next = Pending(eligible: ended.advanced(byNanoseconds: spacing), order: pendingOrder, target: slot.target)
            if specs[slot.target].priority { priorityPending.insert(next) } else { pending.insert(next) }
            pendingOrder += 1
        }
        var recorded = sample
        recorded.index = slot.sample
        samples[slot.target].append(recorded)
        guard samples[slot.target].count == specs[slot.target].samples else { return nil }
        finishedTargets += 1
        let finished = samples[slot.target].sorted { $0.index < $1.index }
        samples[slot.target] = []
        return (slot.target, finished)
    }

    /// The system ran out of descriptors before the probe behind `handle` could open its socket:
    /// puts that sample back to start again and keeps the in-flight limit below the level that failed.
    /// Returns `false` when nothing else is in flight (retrying could not help).
    mutating func requeue(_ handle: ProbeHandle, now: MonotonicInstant) -> Bool {
        // Retrying helps only when another probe in flight will free a descriptor; otherwise the
        // handle stays current, so the caller can complete it with the error.
        guard isCurrent(handle), inFlight > 1 else { return false }
        let slot = slots[Int(handle.slot)]
        release(handle)
        cap = max(1, inFlight)
        budget = nil  // the system's limit is below what the budget would grow to: it stays here
        started -= 1
        retries.append((slot.target, slot.sample))
        return true
    }

    /// Whether `handle` names the probe now in its slot (stale events are dropped).
    func isCurrent(_ handle: ProbeHandle) -> Bool {
        let index = Int(handle.slot)
        return index < slots.count && slots[index].busy && slots[index].generation == handle.generation
    }

    /// The target (job) of the probe in flight behind `handle`; check ``isCurrent(_:)`` first.
    func target(of handle: ProbeHandle) -> Int { slots[Int(handle.slot)].target }

    /// How many slots the shell needs a descriptor table for.
    var slotCount: Int { slots.count }

    private mutating func start(_ target: Int, now: MonotonicInstant, priority: Bool) -> Action {
        if priority { _ = priorityPending.removeMin() } else { _ = pending.removeMin() }
        let sample = nextSample[target]
        nextSample[target] += 1
        lastStart[target] = now
        if nextSample[target] < specs[target].samples, !specs[target].serial {
            let next = Pending(eligible: now.advanced(byNanoseconds: intervalNanoseconds), order: pendingOrder, target: target)
            if specs[target].priority { priorityPending.insert(next) } else { pending.insert(next) }
            pendingOrder += 1
        }
        return occupySlot(target: target, sample: sample, now: now)
    }

    private mutating func occupySlot(target: Int, sample: Int, now: MonotonicInstant) -> Action {
        if freeSlots.isEmpty {
            // Jobs added while running may need more slots than the start did (up to the cap).
            slots.append(Slot())
            freeSlots.append(UInt32(slots.count - 1))
        }
        let index = freeSlots.removeLast()
        slots[Int(index)].busy = true
        slots[Int(index)].target = target
        slots[Int(index)].sample = sample
        slots[Int(index)].deadline = now.advanced(byNanoseconds: specs[target].timeoutNanoseconds)
        slots[Int(index)].startedAt = now
        let handle = ProbeHandle(slot: index, generation: slots[Int(index)].generation)
        deadlines.insert(Deadline(deadline: slots[Int(index)].deadline, order: deadlineOrder, handle: handle))
        deadlineOrder += 1
        if specs[target].prunable { prunables.append(handle) }
        inFlight += 1
        peakInFlight = max(peakInFlight, inFlight)
        started += 1
        return .start(handle, target: target, sample: sample)
    }

    private mutating func release(_ handle: ProbeHandle) {
        slots[Int(handle.slot)].busy = false
        slots[Int(handle.slot)].generation &+= 1
        freeSlots.append(handle.slot)
        inFlight -= 1
    }

    private mutating func refill(now: MonotonicInstant) {
        guard rate > 0 else { return }
        let elapsed = now.nanoseconds(since: lastRefill)
        tokens = min(tokenCapacity, tokens + Double(elapsed) * Double(rate) / 1e9)
        lastRefill = now
    }

    private func earliest(_ a: MonotonicInstant?, _ b: MonotonicInstant) -> MonotonicInstant {
        guard let a else { return b }
        return min(a, b)
    }
}
