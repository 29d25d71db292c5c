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

        // Jobs: every method for every address (ICMP only where its family has a socket), and the
        // results they make up.
        let assembler = SweepAssembler(
            targets: targets, resolved: sweepIndices.indices.map { (sweepIndices[$0], addresses[$0], resolutions[sweepIndices[$0]].milliseconds) },
            methods: methods, firstRound: firstRound != nil, socketKinds: icmpSockets.map { $0?.kind }, icmpUnavailable: icmpUnavailable)
        for result in assembler.finalAtStart { emit(.result(result)) }
        let firstJobs = assembler.jobs

        let probeStart = MonotonicInstant.now()
        let sweep = ProbeSweep(addresses: addresses, jobs: firstJobs, options: options, icmpSockets: icmpSockets, control: control) { job, samples in
            if let event = assembler.record(job: job, samples: samples) { emit(event) }
        } beforeWaiting: {
            flush()
        }
        if let firstRound {
            // Only the first round's jobs set the cutoff (and only they can be pruned by it).
            sweep.cutoff = { job, samples in job < firstJobs.count ? firstRound.cutoff(sweepIndices[firstJobs[job].position], samples) : nil }
        }
        if let live {
            sweep.holdOpen = true
            sweep.beforeActions = { [unowned sweep] in
                for command in live.take() {
                    switch command {
                    case .measure(let requests):
                        for request in requests {
                            let spec = SweepStateMachine.JobSpec(
                                samples: max(1, request.samples), timeoutNanoseconds: UInt64(max(1, request.timeoutMilliseconds)) * 1_000_000,
                                prunable: false, priority: true)
                            let event = assembler.add(request) { kinds in sweep.add(address: request.address, kinds: kinds, spec: spec) }
                            if let event { emit(event) }
                        }
                    case .drop(let tags):
                        for tag in tags { for job in assembler.drop(tag: tag) { sweep.drop(job: job) } }
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
                for event in assembler.failAll(with: failed) { emit(event) }
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
