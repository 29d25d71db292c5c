import FoundationEssentials

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
package struct ProbeEngine: Sendable {
    /// How sweeps run.
    package var options: ProbeOptions
    /// How names are resolved (`nil`: this machine's resolv.conf, hosts and nsswitch.conf).
    package var resolverConfiguration: ResolverConfiguration?
    /// The handshake probes' cryptography (`nil`: targets' handshake keys are not used, and a
    /// handshake method measures nothing, saying so).
    package var handshakes: (any HandshakeCodec)?

    /// An engine with these options.
    package init(options: ProbeOptions = ProbeOptions(), handshakes: (any HandshakeCodec)? = nil) {
        self.options = options
        self.handshakes = handshakes
    }

    /// Probes every target and returns all results, in the order given, with the sweep's figures.
    /// When the task is cancelled, returns what was final by then (``SweepSummary/cancelled`` is set).
    /// With `firstRound`, each target gets a single probe (ICMP where it runs, else TCP) and probes
    /// are abandoned at the cutoff the finished ones set (see ``FirstRound``). `progress` is told
    /// how many targets are final so far, once per batch of results.
    package func probe(
        _ targets: [ProbeTarget], methods: Set<ProbeKind> = [.tcp], firstRound: FirstRound? = nil,
        progress: (@Sendable (_ done: Int) -> Void)? = nil
    ) async -> SweepReport {
        // In arrival order, then sorted once: one array of results, not a table of optionals and a copy.
        var results: [TargetResult] = []
        results.reserveCapacity(targets.count)
        var summary: SweepSummary?
        var done = 0
        for await batch in SweepRunner.events(for: targets, methods: methods, options: options, firstRound: firstRound, resolver: resolverConfiguration, handshakes: handshakes) {
            for event in batch {
                switch event {
                case .result(let result):
                    results.append(result)
                    done += 1
                case .summary(let final): summary = final
                case .final, .resolving: break  // only a live sweep has finals
                }
            }
            progress?(done)
        }
        results.sort { $0.index < $1.index }
        return SweepReport(results: results, summary: summary ?? .cancelled(targets: targets.count))
    }

    /// The sweep's events as they happen, in batches (one per reactor wake-up): each target's
    /// result as soon as it is final, then the sweep's figures last. Stops when the consuming task
    /// is cancelled or the stream is dropped.
    package func updates(for targets: [ProbeTarget], methods: Set<ProbeKind> = [.tcp], firstRound: FirstRound? = nil) -> AsyncStream<[SweepEvent]> {
        SweepRunner.events(for: targets, methods: methods, options: options, firstRound: firstRound, resolver: resolverConfiguration, handshakes: handshakes)
    }

    /// A sweep that stays open for more work (``LiveSweep``): the first round runs on `targets`;
    /// servers handed to ``LiveSweep/measure(_:)`` join the same reactor; it ends after
    /// ``LiveSweep/close()`` once every job is final.
    package func live(for targets: [ProbeTarget], methods: Set<ProbeKind>, firstRound: FirstRound? = nil) -> (LiveSweep, AsyncStream<[SweepEvent]>) {
        let control = SweepControl()
        let live = LiveSweep(control: control)
        return (live, SweepRunner.events(for: targets, methods: methods, options: options, firstRound: firstRound, control: control, live: live, resolver: resolverConfiguration, handshakes: handshakes))
    }

    /// The results as an `AsyncSequence`, each target's result as soon as it is final.
    /// The sweep starts when iteration starts and stops when the iterating task is cancelled.
    package func results(for targets: [ProbeTarget], methods: Set<ProbeKind> = [.tcp]) -> ProbeResults {
        ProbeResults(targets: targets, methods: methods, options: options)
    }
}
