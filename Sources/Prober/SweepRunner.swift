import FoundationEssentials
import ProbeSystem

/// Starts sweeps on threads of their own and bridges them to structured concurrency.
enum SweepRunner {
    /// A stream of the sweep's events, in batches (one per reactor wake-up, so a sweep of
    /// thousands of targets costs a few dozen cross-thread hand-overs, not thousands).
    /// The sweep starts now, on its own thread, and is cancelled when the stream is dropped or
    /// the consuming task is cancelled.
    static func events(
        for targets: [ProbeTarget], methods: Set<ProbeKind>, options: ProbeOptions, firstRound: FirstRound? = nil,
        control: SweepControl = SweepControl(), live: LiveSweep? = nil, resolver: ResolverConfiguration? = nil,
        handshakes: (any HandshakeCodec)? = nil
    ) -> AsyncStream<[SweepEvent]> {
        let (stream, continuation) = AsyncStream.makeStream(of: [SweepEvent].self, bufferingPolicy: .unbounded)
        continuation.onTermination = { _ in control.cancel() }
        DetachedThread.start(name: "probe-reactor") {
            let batch = EventBatch()
            SweepRun(targets: targets, methods: methods, options: options, firstRound: firstRound, control: control, live: live,
                     resolverConfiguration: resolver, handshakes: handshakes, emit: { batch.events.append($0) },
                     flush: {
                         guard !batch.events.isEmpty else { return }
                         continuation.yield(batch.events)
                         batch.events.removeAll(keepingCapacity: true)
                     }).run()
            if !batch.events.isEmpty { continuation.yield(batch.events) }
            continuation.finish()
        }
        return stream
    }
}

/// One sweep, on the calling (dedicated) thread: open the ICMP sockets, probe the numeric
/// addresses at once and each name the moment it resolves (lookups run on the same reactor),
/// take the live sweep's requests between wake-ups, and end with the summary.
///
/// Its parts are methods of one object rather than closures capturing one another: ``settle(_:)``
/// turns finished lookups into probes, ``beforeActions()`` runs at each wake-up (lookups to start,
/// live requests), ``run()`` drives the reactor and reports.
final class SweepRun {
    private let targets: [ProbeTarget]
    private let options: ProbeOptions
    private let control: SweepControl
    private let live: LiveSweep?
    private let resolverConfiguration: ResolverConfiguration?
    private let emit: (SweepEvent) -> Void
    private let names: NamePlan
    private let assembler: SweepAssembler
    private let sweep: ProbeSweep
    /// The first round's job spec: every sample, the options' timeout, prunable by a cutoff.
    private let spec: SweepStateMachine.JobSpec
    /// One ICMP socket per family ([IPv4, IPv6]), and why a family has none.
    private let icmpSockets: [ICMPSocket?]
    private let icmpUnavailable: [String?]
    private let probeStart = MonotonicInstant.now()

    private var resolver: NameResolver?
    private var liveOpen: Bool
    private var lookupsStarted: Bool
    private var reportedPending = -1
    private var resolveMilliseconds = 0.0
    private var familiesProbed: Set<SocketAddress.Family> = []

    init(
        targets: [ProbeTarget], methods: Set<ProbeKind>, options: ProbeOptions, firstRound: FirstRound? = nil, control: SweepControl,
        live: LiveSweep? = nil, resolverConfiguration: ResolverConfiguration? = nil, handshakes: (any HandshakeCodec)? = nil,
        emit: @escaping (SweepEvent) -> Void, flush: @escaping () -> Void
    ) {
        let methods = methods.isEmpty ? [.tcp] : methods
        let names = NamePlan(targets: targets, family: options.family)
        for (index, reason) in names.refused { emit(.result(TargetResult(index: index, target: targets[index], address: nil, resolveError: reason))) }

        // One ICMP socket per family that has (or, once names resolve, may have) targets; a family
        // without permission is noted on that family's targets, not fatal.
        var icmpSockets: [ICMPSocket?] = [nil, nil]
        var icmpUnavailable: [String?] = [nil, nil]
        if methods.contains(.icmp) {
            for (family, v6) in [(SocketAddress.Family.inet, false), (.inet6, true)] where names.mayProbe(family) {
                do {
                    icmpSockets[v6 ? 1 : 0] = try ICMPSocket.open(family: family, preference: options.icmpSocket)
                } catch {
                    icmpUnavailable[v6 ? 1 : 0] = error.description
                }
            }
        }
        let assembler = SweepAssembler(
            targets: targets, resolved: names.numeric.map { ($0.index, $0.address, nil) },
            methods: methods, firstRound: firstRound != nil, socketKinds: icmpSockets.map { $0?.kind }, icmpUnavailable: icmpUnavailable,
            codec: handshakes)
        for item in names.numeric { familiesProbed.insert(item.address.family) }
        for result in assembler.finalAtStart { emit(.result(result)) }

        let sweep = ProbeSweep(addresses: names.numeric.map(\.address), jobs: assembler.jobs, options: options, icmpSockets: icmpSockets, control: control) { job, samples in
            if let event = assembler.record(job: job, samples: samples) { emit(event) }
        } beforeWaiting: {
            flush()
        }
        if handshakes != nil { sweep.handshakeFor = { assembler.handshake(job: $0) } }
        if let firstRound {
            // Only the sweep's own targets set the cutoff (and only they can be pruned by it).
            sweep.cutoff = { job, samples in assembler.isOwnTarget(job: job) ? firstRound.cutoff(assembler.targetIndex(job: job), samples) : nil }
        }
        self.targets = targets
        self.options = options
        self.control = control
        self.live = live
        self.resolverConfiguration = resolverConfiguration
        self.emit = emit
        self.names = names
        self.assembler = assembler
        self.sweep = sweep
        self.icmpSockets = icmpSockets
        self.icmpUnavailable = icmpUnavailable
        spec = SweepStateMachine.JobSpec(samples: max(1, options.samples), timeoutNanoseconds: options.timeoutNanoseconds, prunable: true)
        liveOpen = live != nil
        lookupsStarted = names.lookups.isEmpty
        sweep.holdOpen = liveOpen || !lookupsStarted
    }

    /// Runs the sweep to its end and emits the summary.
    func run() {
        defer { for socket in icmpSockets { socket?.close() } }
        sweep.otherEvent = { [unowned self] data in
            guard let resolver, let done = resolver.handle(data: data, now: .now()) else { return false }
            settle(done)
            return true
        }
        sweep.otherDeadline = { [unowned self] in resolver?.deadline }
        sweep.beforeActions = { [unowned self] in beforeActions() }
        // The hooks capture this run, the sweep and the assembler: let them go with the sweep, or
        // every sweep would keep its tables alive for the life of the process.
        defer {
            sweep.beforeActions = nil
            sweep.otherEvent = nil
            sweep.otherDeadline = nil
            sweep.cutoff = nil
            sweep.handshakeFor = nil
        }
        var cancelled = control.isCancelled
        if !cancelled {
            do {
                let reactor = try Reactor()
                control.attach(wakeFD: reactor.wakeFD)
                if !names.lookups.isEmpty {
                    resolver = NameResolver(
                        configuration: resolverConfiguration ?? .load(), timeoutMilliseconds: options.dnsTimeoutMilliseconds,
                        reactor: reactor, control: control)
                }
                defer {
                    resolver?.close()
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
        reportUnresolved()
        emit(.summary(summary(cancelled: cancelled)))
    }

    /// Finished lookups: each name's targets are probed at the address it got (or reported with
    /// why not); the count still pending is reported when it changes.
    private func settle(_ outcomes: [(Int, NameResolver.Outcome, Double)]) {
        for (lookup, outcome, waited) in outcomes {
            resolveMilliseconds = max(resolveMilliseconds, waited)
            for index in names.lookups[lookup].targets {
                let target = targets[index]
                switch names.choose(outcome, for: target) {
                case .failure(let reason):
                    emit(.result(TargetResult(index: index, target: target, address: nil, resolveMilliseconds: waited, resolveError: reason)))
                case .address(let address):
                    familiesProbed.insert(address.family)
                    let (position, kinds) = assembler.addTarget(TargetResult(
                        index: index, target: target, address: address.withPort(target.port), resolveMilliseconds: waited))
                    if kinds.isEmpty {
                        emit(.result(assembler.result(at: position)))
                    } else {
                        _ = sweep.add(address: address.withPort(target.port), kinds: kinds, spec: spec)
                    }
                }
            }
        }
        let pending = resolver?.pending ?? 0
        if pending != reportedPending, reportedPending > 0 || pending > 0 {
            reportedPending = pending
            emit(.resolving(pending: pending))
        }
        sweep.holdOpen = liveOpen || pending > 0 || !lookupsStarted
    }

    /// At each wake-up, before the sweep acts: start every lookup (once, before the first probe:
    /// the slowest part starts first), collect what timed out, and take the live sweep's commands.
    private func beforeActions() {
        if let resolver {
            if !lookupsStarted {
                lookupsStarted = true
                var done: [(Int, NameResolver.Outcome, Double)] = []
                let now = MonotonicInstant.now()
                for lookup in names.lookups { done += resolver.start(lookup.request, now: now) }
                settle(done)
            }
            settle(resolver.poll(now: .now()))
        }
        guard let live else { return }
        for command in live.take() { perform(command) }
    }

    /// One command of the live sweep (`probe serve`, the early answer's final round).
    private func perform(_ command: LiveSweep.Command) {
        switch command {
        case .measure(let requests):
            for request in requests {
                let spec = SweepStateMachine.JobSpec(
                    samples: max(1, request.samples), timeoutNanoseconds: Nanoseconds.from(milliseconds: request.timeoutMilliseconds),
                    prunable: false, priority: true)
                let event = assembler.add(request) { kinds in sweep.add(address: request.address, kinds: kinds, spec: spec) }
                if let event { emit(event) }
            }
        case .drop(let tags):
            for tag in tags { for job in assembler.drop(tag: tag) { sweep.drop(job: job) } }
        case .abandonNames:
            if let resolver {
                settle(resolver.abandonAll(reason: { waited in
                    "not resolved after \(Int(waited.rounded())) ms: the first round ended without it (--await-dns waits for every name)"
                }, now: .now()))
            }
        case .close:
            liveOpen = false
            sweep.holdOpen = (resolver?.pending ?? 0) > 0
        }
    }

    /// Names never looked up (cancelled, or the reactor failed) are reported all the same.
    private func reportUnresolved() {
        if let resolver, resolver.pending > 0 {
            settle(resolver.abandonAll(reason: { _ in "not resolved: the sweep was cancelled" }, now: .now()))
        } else if !lookupsStarted {
            for lookup in names.lookups {
                for index in lookup.targets {
                    emit(.result(TargetResult(index: index, target: targets[index], address: nil, resolveError: "not resolved: the sweep was cancelled")))
                }
            }
        }
    }

    private func summary(cancelled: Bool) -> SweepSummary {
        let probed = (0..<2).filter { familiesProbed.contains($0 == 1 ? .inet6 : .inet) }
        var summary = SweepSummary(
            targets: targets.count, probesStarted: sweep.probesStarted, peakInFlight: sweep.peakInFlight,
            effectiveMaxInFlight: sweep.effectiveCap, descriptorRetries: sweep.descriptorRetries,
            resolveMilliseconds: resolveMilliseconds,
            probeMilliseconds: MonotonicInstant.now().milliseconds(since: probeStart), cancelled: cancelled,
            icmpSocket: probed.lazy.compactMap { self.icmpSockets[$0]?.kind }.first,
            icmpUnavailable: probed.lazy.compactMap { self.icmpUnavailable[$0] }.first, pruned: sweep.prunedCount)
        summary.maxInFlightReason = sweep.inFlightReason
        return summary
    }
}

/// Events waiting to be handed over (touched on the reactor thread only).
private final class EventBatch {
    var events: [SweepEvent] = []
}
