import Foundation

/// Starts sweeps on threads of their own and bridges them to structured concurrency.
enum SweepRunner {
    /// A stream of the sweep's events, in batches (one per reactor wake-up, so a sweep of
    /// thousands of targets costs a few dozen cross-thread hand-overs, not thousands).
    /// The sweep starts now, on its own thread, and is cancelled when the stream is dropped or
    /// the consuming task is cancelled.
    static func events(
        for targets: [ProbeTarget], methods: Set<ProbeKind>, options: ProbeOptions, firstRound: FirstRound? = nil,
        control: SweepControl = SweepControl(), live: LiveSweep? = nil
    ) -> AsyncStream<[SweepEvent]> {
        let (stream, continuation) = AsyncStream.makeStream(of: [SweepEvent].self, bufferingPolicy: .unbounded)
        continuation.onTermination = { _ in control.cancel() }
        let thread = Thread {
            let batch = EventBatch()
            run(targets: targets, methods: methods, options: options, firstRound: firstRound, control: control, live: live,
                emit: { batch.events.append($0) },
                flush: {
                    guard !batch.events.isEmpty else { return }
                    continuation.yield(batch.events)
                    batch.events.removeAll(keepingCapacity: true)
                })
            if !batch.events.isEmpty { continuation.yield(batch.events) }
            continuation.finish()
        }
        thread.name = "probe-reactor"
        thread.start()
        return stream
    }

    /// The whole sweep, on the calling (dedicated) thread: resolve, open the ICMP sockets, probe.
    static func run(
        targets: [ProbeTarget], methods: Set<ProbeKind>, options: ProbeOptions, firstRound: FirstRound? = nil, control: SweepControl,
        live: LiveSweep? = nil, emit: @escaping (SweepEvent) -> Void, flush: @escaping () -> Void
    ) {
        let methods = methods.isEmpty ? [.tcp] : methods
        let resolveStart = MonotonicInstant.now()
        let resolutions = Resolver.resolve(targets)
        let resolveMilliseconds = MonotonicInstant.now().milliseconds(since: resolveStart)

        var sweepIndices: [Int] = []
        var addresses: [SocketAddress] = []
        for (index, resolution) in resolutions.enumerated() {
            if let address = resolution.address {
                sweepIndices.append(index)
                addresses.append(address)
            } else {
                emit(.result(TargetResult(
                    index: index, target: targets[index], address: nil,
                    resolveMilliseconds: resolution.milliseconds, resolveError: resolution.error)))
            }
        }

        // One ICMP socket per family that has targets; a family without permission is noted, not fatal.
        var icmpSockets: [ICMPSocket?] = [nil, nil]
        var icmpUnavailable: [String?] = [nil, nil]
        if methods.contains(.icmp) {
            for (family, v6) in [(SocketAddress.Family.inet, false), (.inet6, true)] where addresses.contains(where: { $0.family == family }) {
                do {
                    icmpSockets[v6 ? 1 : 0] = try ICMPSocket.open(family: family, preference: options.icmpSocket)
                } catch {
                    icmpUnavailable[v6 ? 1 : 0] = error.description
                }
            }
        }
        defer { for socket in icmpSockets { socket?.close() } }

        // Jobs: every method for every address (ICMP only where its family has a socket).
        var jobs: [ProbeJob] = []
        var pendingJobs = [Int](repeating: 0, count: addresses.count)
        var unmeasurable = Set<Int>()
        for (position, address) in addresses.enumerated() {
            let icmpRuns = icmpSockets[address.family == .inet6 ? 1 : 0] != nil
            switch SweepJobPlan.plan(methods: methods, icmpRuns: icmpRuns, portKnown: targets[sweepIndices[position]].portKnown,
                                     firstRound: firstRound != nil) {
            case .unmeasurable:
                unmeasurable.insert(position)
            case .probe(let kinds):
                for kind in kinds { jobs.append(ProbeJob(position: position, kind: kind)) }
                pendingJobs[position] += kinds.count
            }
        }
        var partial = [TargetResult](repeating: TargetResult(index: 0, target: ProbeTarget(host: "", port: 0), address: nil), count: addresses.count)
        for (position, address) in addresses.enumerated() {
            let index = sweepIndices[position]
            var result = TargetResult(index: index, target: targets[index], address: address,
                                      resolveMilliseconds: resolutions[index].milliseconds)
            if methods.contains(.icmp), let reason = icmpUnavailable[address.family == .inet6 ? 1 : 0] {
                result.icmp = Measurement(method: .icmp, samples: [], unavailable: reason)
            }
            if unmeasurable.contains(position) { result.tcp = SweepJobPlan.unmeasurableTCP }
            partial[position] = result
        }
        let state = PartialResults(partial: partial, pending: pendingJobs, jobs: jobs, addresses: addresses)
        let initialCount = addresses.count
        for position in addresses.indices where pendingJobs[position] == 0 {
            emit(.result(state.partial[position]))  // nothing could run for it (ICMP alone, no permission)
        }

        let probeStart = MonotonicInstant.now()
        let sweep = ProbeSweep(addresses: addresses, jobs: jobs, options: options, icmpSockets: icmpSockets, control: control) { job, samples in
            let position = state.jobs[job].position
            let socketKind = icmpSockets[state.addresses[position].family == .inet6 ? 1 : 0]?.kind
            switch state.jobs[job].kind {
            case .tcp: state.partial[position].tcp = Measurement(method: .tcp, samples: samples)
            case .icmp: state.partial[position].icmp = Measurement(method: .icmp, samples: samples, socketKind: socketKind)
            }
            state.pending[position] -= 1
            if state.pending[position] == 0 {
                if position < initialCount { emit(.result(state.partial[position])) } else if !state.dropped.contains(position) { emit(.final(state.partial[position])) }
            }
        } beforeWaiting: {
            flush()
        }
        if let firstRound {
            // Only the first round's jobs set the cutoff (and only they can be pruned by it).
            sweep.cutoff = { job, samples in job < jobs.count ? firstRound.cutoff(sweepIndices[jobs[job].position], samples) : nil }
        }
        if let live {
            sweep.holdOpen = true
            var positionsByTag: [Int: Int] = [:]
            var jobsByPosition: [Int: [Int]] = [:]
            sweep.beforeActions = { [unowned sweep] in
                for command in live.take() {
                    switch command {
                    case .measure(let requests):
                        for request in requests {
                            let position = sweep.addresses.count
                            let icmpRuns = icmpSockets[request.address.family == .inet6 ? 1 : 0] != nil
                            let plan = SweepJobPlan.plan(methods: methods, icmpRuns: icmpRuns, portKnown: request.target.portKnown, firstRound: false)
                            var kinds: [ProbeKind] = []
                            if case .probe(let planned) = plan { kinds = planned }
                            var result = TargetResult(index: request.tag, target: request.target, address: request.address)
                            if plan == .unmeasurable { result.tcp = SweepJobPlan.unmeasurableTCP }
                            if methods.contains(.icmp), let reason = icmpUnavailable[request.address.family == .inet6 ? 1 : 0] {
                                result.icmp = Measurement(method: .icmp, samples: [], unavailable: reason)
                            }
                            state.partial.append(result)
                            state.pending.append(kinds.count)
                            positionsByTag[request.tag] = position
                            let spec = SweepStateMachine.JobSpec(
                                samples: max(1, request.samples), timeoutNanoseconds: UInt64(max(1, request.timeoutMilliseconds)) * 1_000_000, prunable: false,
                                priority: true)
                            jobsByPosition[position] = sweep.add(address: request.address, kinds: kinds, spec: spec)
                            state.addresses.append(request.address)
                            state.jobs += kinds.map { ProbeJob(position: position, kind: $0) }
                            if kinds.isEmpty { emit(.final(result)) }
                        }
                    case .drop(let tags):
                        for tag in tags {
                            guard let position = positionsByTag[tag] else { continue }
                            state.dropped.insert(position)
                            for job in jobsByPosition[position] ?? [] { sweep.drop(job: job) }
                        }
                    case .close:
                        sweep.holdOpen = false
                    }
                }
            }
        }
        var cancelled = control.isCancelled
        if !cancelled {
            do {
                let reactor = try Reactor()
                control.attach(wakeFD: reactor.wakeFD)
                defer {
                    control.attach(wakeFD: nil)
                    reactor.close()
                }
                cancelled = try sweep.run(reactor: reactor)
            } catch {
                // The reactor itself failed (no epoll, no descriptors): every job not yet final gets that error.
                let failed = (0..<max(1, options.samples)).map { ProbeSample(index: $0, outcome: .error(errno: error.name)) }
                for position in addresses.indices where state.pending[position] > 0 {
                    if methods.contains(.tcp), state.partial[position].tcp == nil {
                        state.partial[position].tcp = Measurement(method: .tcp, samples: failed)
                    }
                    if methods.contains(.icmp), state.partial[position].icmp == nil {
                        state.partial[position].icmp = Measurement(method: .icmp, samples: failed)
                    }
                    state.pending[position] = 0
                    emit(.result(state.partial[position]))
                }
            }
        }
        emit(.summary(SweepSummary(
            targets: targets.count, probesStarted: sweep.probesStarted, peakInFlight: sweep.peakInFlight,
            effectiveMaxInFlight: sweep.effectiveCap, descriptorRetries: sweep.descriptorRetries,
            resolveMilliseconds: resolveMilliseconds,
            probeMilliseconds: MonotonicInstant.now().milliseconds(since: probeStart), cancelled: cancelled,
            icmpSocket: (icmpSockets[0] ?? icmpSockets[1])?.kind,
            icmpUnavailable: icmpUnavailable[0] ?? icmpUnavailable[1], pruned: sweep.prunedCount)))
    }
}

/// Events waiting to be handed over (touched on the reactor thread only).
private final class EventBatch {
    var events: [SweepEvent] = []
}

/// Results being assembled, and how many jobs each still waits for (reactor thread only).
private final class PartialResults {
    var partial: [TargetResult]
    var pending: [Int]
    /// Positions of live requests given up on: their results are not reported.
    var dropped = Set<Int>()
    /// Every job and address so far (live requests append to both).
    var jobs: [ProbeJob]
    var addresses: [SocketAddress]
    init(partial: [TargetResult], pending: [Int], jobs: [ProbeJob], addresses: [SocketAddress]) {
        self.partial = partial
        self.pending = pending
        self.jobs = jobs
        self.addresses = addresses
    }
}
