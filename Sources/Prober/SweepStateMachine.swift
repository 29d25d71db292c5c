/// The pure logic of a sweep: which sample to start next, when to wait, which probe timed out.
///
/// No I/O and no clock: every method takes `now`, so tests drive it without sleeping
/// (the swift-async-algorithms style). The I/O shell (``TCPConnectSweep``) asks
/// ``nextAction(now:)`` in a loop, performs what it returns, and reports each probe's end
/// with ``complete(_:sample:)``.
///
/// Rules it enforces:
/// - at most `cap` probes in flight (the `maxInFlight` option, lowered to fit `RLIMIT_NOFILE`,
///   and lowered again if the system still runs out of descriptors);
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

    let targetCount: Int
    let samplesPerTarget: Int
    let intervalNanoseconds: UInt64
    let timeoutNanoseconds: UInt64
    let rate: Int

    /// The in-flight limit now in force.
    private(set) var cap: Int
    /// Probes in flight now.
    private(set) var inFlight = 0
    /// The most probes that were ever in flight at once.
    private(set) var peakInFlight = 0
    /// Probes started so far.
    private(set) var started = 0
    /// Targets whose every sample is final.
    private(set) var finishedTargets = 0
    /// Probes unanswered this long after their start are pruned (`nil`: only the timeout applies).
    private(set) var cutoffNanoseconds: UInt64?
    /// Probes pruned so far.
    private(set) var prunedCount = 0

    private var slots: [Slot]
    private var freeSlots: [UInt32]
    private var pending: Heap<Pending>
    private var pendingOrder: UInt64 = 0
    /// Started probes in start order: with one timeout for all, also deadline order.
    private var deadlines: RingBuffer<ProbeHandle>
    /// Samples whose socket could not be opened (EMFILE), to start again before anything new.
    private var retries: RingBuffer<(target: Int, sample: Int)>
    private var nextSample: [Int]
    private var samples: [[ProbeSample]]
    private var tokens: Double
    private let tokenCapacity: Double
    private var lastRefill: MonotonicInstant

    /// A sweep of `targetCount` targets starting at `start`.
    init(targetCount: Int, options: ProbeOptions, cap: Int, start: MonotonicInstant) {
        self.targetCount = targetCount
        samplesPerTarget = max(1, options.samples)
        intervalNanoseconds = UInt64(max(0, options.intervalMilliseconds)) * 1_000_000
        timeoutNanoseconds = UInt64(max(1, options.timeoutMilliseconds)) * 1_000_000
        rate = max(0, options.rate)
        self.cap = max(1, cap)
        let slotCount = max(1, min(cap, targetCount * samplesPerTarget))
        slots = Array(repeating: Slot(), count: slotCount)
        freeSlots = (0..<UInt32(slotCount)).reversed()
        // Every target is eligible at the start, in input order: a sorted array is a valid heap.
        pending = Heap(sortedElements: (0..<targetCount).map { Pending(eligible: start, order: UInt64($0), target: $0) })
        pendingOrder = UInt64(targetCount)
        deadlines = RingBuffer(capacity: slotCount)
        retries = RingBuffer(capacity: 4)
        nextSample = Array(repeating: 0, count: targetCount)
        samples = Array(repeating: [], count: targetCount)
        tokenCapacity = rate == 0 ? .infinity : max(1, Double(rate) / 1_000)
        tokens = rate == 0 ? .infinity : tokenCapacity
        lastRefill = start
    }

    /// The next thing to do at `now`.
    mutating func nextAction(now: MonotonicInstant) -> Action {
        // 1. Timeouts first: they free slots.
        while let front = deadlines.first {
            let slot = slots[Int(front.slot)]
            guard slot.busy, slot.generation == front.generation else {
                deadlines.removeFirst()  // already completed
                continue
            }
            if slot.deadline <= now {
                deadlines.removeFirst()
                return .expire(front)
            }
            if let cutoff = cutoffNanoseconds, slot.startedAt.advanced(byNanoseconds: cutoff) <= now {
                deadlines.removeFirst()
                return .prune(front)
            }
            break
        }
        if finishedTargets == targetCount { return .finished }

        // 2. Start the next eligible sample if a slot and a token are free.
        var wakeAt: MonotonicInstant? = deadlines.first.map { effectiveDeadline(slots[Int($0.slot)]) }
        if inFlight < cap, let retry = retries.first {
            retries.removeFirst()
            return occupySlot(target: retry.target, sample: retry.sample, now: now)
        }
        if inFlight < cap, let next = pending.min {
            if next.eligible <= now {
                refill(now: now)
                if tokens >= 1 {
                    tokens -= 1
                    return start(next.target, now: now)
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

    /// Lowers the cutoff: from now on, a probe still unanswered `nanoseconds` after its start is
    /// pruned. Only ever lowers it (a later, looser bound changes nothing). One cutoff for all keeps
    /// the deadlines in start order, so the earliest is always at the front.
    mutating func tighten(cutoffNanoseconds nanoseconds: UInt64) {
        guard nanoseconds < (cutoffNanoseconds ?? .max), nanoseconds < timeoutNanoseconds else { return }
        cutoffNanoseconds = nanoseconds
    }

    /// When the probe in `slot` ends unless answered: its timeout, or the cutoff if earlier.
    private func effectiveDeadline(_ slot: Slot) -> MonotonicInstant {
        guard let cutoff = cutoffNanoseconds else { return slot.deadline }
        return min(slot.deadline, slot.startedAt.advanced(byNanoseconds: cutoff))
    }

    /// Records how the probe behind `handle` ended. Returns the target's samples, in send order,
    /// when this was its last outstanding sample; `nil` otherwise or when `handle` is stale.
    mutating func complete(_ handle: ProbeHandle, sample: ProbeSample) -> (target: Int, samples: [ProbeSample])? {
        guard isCurrent(handle) else { return nil }
        let slot = slots[Int(handle.slot)]
        release(handle)
        if sample.outcome == .pruned { prunedCount += 1 }
        var recorded = sample
        recorded.index = slot.sample
        samples[slot.target].append(recorded)
        guard samples[slot.target].count == samplesPerTarget else { return nil }
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

    /// The handles of every probe in flight (to close their sockets on cancellation).
    var inFlightHandles: [ProbeHandle] {
        slots.indices.compactMap { index in
            slots[index].busy ? ProbeHandle(slot: UInt32(index), generation: slots[index].generation) : nil
        }
    }

    /// How many slots the shell needs a descriptor table for.
    var slotCount: Int { slots.count }

    private mutating func start(_ target: Int, now: MonotonicInstant) -> Action {
        _ = pending.removeMin()
        let sample = nextSample[target]
        nextSample[target] += 1
        if nextSample[target] < samplesPerTarget {
            pending.insert(Pending(eligible: now.advanced(byNanoseconds: intervalNanoseconds), order: pendingOrder, target: target))
            pendingOrder += 1
        }
        return occupySlot(target: target, sample: sample, now: now)
    }

    private mutating func occupySlot(target: Int, sample: Int, now: MonotonicInstant) -> Action {
        let index = freeSlots.removeLast()
        slots[Int(index)].busy = true
        slots[Int(index)].target = target
        slots[Int(index)].sample = sample
        slots[Int(index)].deadline = now.advanced(byNanoseconds: timeoutNanoseconds)
        slots[Int(index)].startedAt = now
        let handle = ProbeHandle(slot: index, generation: slots[Int(index)].generation)
        deadlines.append(handle)
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
