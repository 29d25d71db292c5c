import Foundation

/// Probes targets with TCP connect on one epoll reactor thread.
///
/// ```swift
/// let engine = ProbeEngine(options: ProbeOptions(samples: 3))
/// let report = await engine.probe([try ProbeTarget(parsing: "127.0.0.1:8443")])
/// for result in report.results { print(result.target, result.rtt?.median ?? .nan) }
/// ```
///
/// Names are resolved first, on threads of their own; the sweep then runs on a dedicated
/// reactor thread, so no blocking system call ever runs on Swift's cooperative pool.
/// Cancelling the calling task stops sending at once and closes every socket.
public struct ProbeEngine: Sendable {
    /// How sweeps run.
    public var options: ProbeOptions

    /// An engine with these options.
    public init(options: ProbeOptions = ProbeOptions()) {
        self.options = options
    }

    /// Probes every target and returns all results, in the order given, with the sweep's figures.
    /// When the task is cancelled, returns what was final by then (``SweepSummary/cancelled`` is set).
    public func probe(_ targets: [ProbeTarget]) async -> SweepReport {
        var results = [TargetResult?](repeating: nil, count: targets.count)
        var summary: SweepSummary?
        for await batch in SweepRunner.events(for: targets, options: options) {
            for event in batch {
                switch event {
                case .result(let result): results[result.index] = result
                case .summary(let final): summary = final
                }
            }
        }
        let finished = results.compactMap { $0 }
        return SweepReport(
            results: finished,
            summary: summary ?? SweepSummary(
                targets: targets.count, probesStarted: 0, peakInFlight: 0, effectiveMaxInFlight: 0,
                descriptorRetries: 0, resolveMilliseconds: 0, probeMilliseconds: 0, cancelled: true)
        )
    }

    /// The results as an `AsyncSequence`, each target's result as soon as it is final.
    /// The sweep starts when iteration starts and stops when the iterating task is cancelled.
    public func results(for targets: [ProbeTarget]) -> ProbeResults {
        ProbeResults(targets: targets, options: options)
    }
}

/// All results of a sweep, in input order, and its figures.
public struct SweepReport: Sendable {
    /// One result per target, in the order given.
    public var results: [TargetResult]
    /// Figures about the sweep.
    public var summary: SweepSummary
}

/// The results of a sweep, yielded as each target becomes final.
public struct ProbeResults: AsyncSequence, Sendable {
    /// A final target result.
    public typealias Element = TargetResult
    /// This sequence never throws.
    public typealias Failure = Never

    let targets: [ProbeTarget]
    let options: ProbeOptions

    /// Starts the sweep lazily, on the first call to `next()`.
    public func makeAsyncIterator() -> Iterator {
        Iterator(targets: targets, options: options)
    }

    /// Iterates a sweep's results.
    public struct Iterator: AsyncIteratorProtocol {
        let targets: [ProbeTarget]
        let options: ProbeOptions
        var base: AsyncStream<[SweepEvent]>.Iterator?
        var buffered: [TargetResult] = []
        var position = 0

        /// The next final result, or `nil` when every target is final or the task was cancelled.
        public mutating func next() async -> TargetResult? {
            if base == nil {
                base = SweepRunner.events(for: targets, options: options).makeAsyncIterator()
            }
            while position == buffered.count {
                guard let batch = await base?.next() else { return nil }
                buffered = batch.compactMap { event in
                    if case .result(let result) = event { return result }
                    return nil
                }
                position = 0
            }
            defer { position += 1 }
            return buffered[position]
        }
    }
}

/// What a running sweep reports.
enum SweepEvent: Sendable {
    case result(TargetResult)
    case summary(SweepSummary)
}

/// Starts sweeps on threads of their own and bridges them to structured concurrency.
enum SweepRunner {
    /// A stream of the sweep's events, in batches (one per reactor wake-up, so a sweep of
    /// thousands of targets costs a few dozen cross-thread hand-overs, not thousands).
    /// The sweep starts now, on its own thread, and is cancelled when the stream is dropped or
    /// the consuming task is cancelled.
    static func events(for targets: [ProbeTarget], options: ProbeOptions) -> AsyncStream<[SweepEvent]> {
        let (stream, continuation) = AsyncStream.makeStream(of: [SweepEvent].self, bufferingPolicy: .unbounded)
        let control = SweepControl()
        continuation.onTermination = { _ in control.cancel() }
        let thread = Thread {
            let batch = EventBatch()
            run(targets: targets, options: options, control: control,
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

    /// The whole sweep, on the calling (dedicated) thread: resolve, then probe.
    static func run(
        targets: [ProbeTarget], options: ProbeOptions, control: SweepControl,
        emit: @escaping (SweepEvent) -> Void, flush: @escaping () -> Void
    ) {
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
                    resolveMilliseconds: resolution.milliseconds, resolveError: resolution.error, samples: [])))
            }
        }

        let probeStart = MonotonicInstant.now()
        let final = FinalPositions(count: addresses.count)
        let sweep = TCPConnectSweep(addresses: addresses, options: options, control: control) { position, samples in
            final.done[position] = true
            let index = sweepIndices[position]
            emit(.result(TargetResult(
                index: index, target: targets[index], address: addresses[position],
                resolveMilliseconds: resolutions[index].milliseconds, samples: samples)))
        } beforeWaiting: {
            flush()
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
                // The reactor itself failed (no epoll, no descriptors): every target not yet final gets that error.
                for (position, index) in sweepIndices.enumerated() where !final.done[position] {
                    let failed = (0..<max(1, options.samples)).map { ProbeSample(index: $0, outcome: .error(errno: error.name)) }
                    emit(.result(TargetResult(
                        index: index, target: targets[index], address: addresses[position],
                        resolveMilliseconds: resolutions[index].milliseconds, samples: failed)))
                }
            }
        }
        emit(.summary(SweepSummary(
            targets: targets.count, probesStarted: sweep.probesStarted, peakInFlight: sweep.peakInFlight,
            effectiveMaxInFlight: sweep.effectiveCap, descriptorRetries: sweep.descriptorRetries,
            resolveMilliseconds: resolveMilliseconds,
            probeMilliseconds: MonotonicInstant.now().milliseconds(since: probeStart), cancelled: cancelled)))
    }
}

/// Events waiting to be handed over (touched on the reactor thread only).
private final class EventBatch {
    var events: [SweepEvent] = []
}

/// Which sweep positions are final (written on the reactor thread only).
private final class FinalPositions {
    var done: [Bool]
    init(count: Int) { done = Array(repeating: false, count: count) }
}
