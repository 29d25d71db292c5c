/// Assembles each target's result from its jobs' samples as a sweep runs (reactor thread only):
/// the first round's targets and, on a live sweep, the servers handed over while it runs. Says
/// which result became final and how to report it; the runner only emits.
final class SweepAssembler {
    /// Results being assembled, by position (an address of the sweep).
    private(set) var partial: [TargetResult]
    /// Jobs each position still waits for.
    private(set) var pending: [Int]
    /// Every job so far: its position and kind (live requests append).
    private(set) var jobs: [ProbeJob]
    /// Whether each position is a live request (else one of the sweep's own targets: at the
    /// start, or when its name resolved).
    private(set) var isLive: [Bool] = []
    private let firstRound: Bool
    /// Live requests given up on (their results are not reported), and where each tag sits.
    private var dropped = Set<Int>()
    private var positionsByTag: [Int: Int] = [:]
    private var jobsByPosition: [Int: [Int]] = [:]
    private let methods: Set<ProbeKind>
    private let socketKinds: [ICMPSocketKind?]
    private let icmpUnavailable: [String?]
    /// The handshake probes' cryptography, when the caller gave it.
    private let codec: (any HandshakeCodec)?
    /// Each position's handshake conversation (one per target, for all its samples).
    private var conversations: [Int: any HandshakeConversation] = [:]

    /// Plans every address's jobs (``SweepJobPlan``) and starts their results. `socketKinds` and
    /// `icmpUnavailable` are per family ([IPv4, IPv6]).
    init(targets: [ProbeTarget], resolved: [(index: Int, address: SocketAddress, milliseconds: Double?)], methods: Set<ProbeKind>,
         firstRound: Bool, socketKinds: [ICMPSocketKind?], icmpUnavailable: [String?], codec: (any HandshakeCodec)? = nil) {
        self.methods = methods
        self.codec = codec
        self.socketKinds = socketKinds
        self.icmpUnavailable = icmpUnavailable
        self.firstRound = firstRound
        partial = []
        pending = []
        jobs = []
        // Room for every target up front (names that resolve later join too): no regrowth copies.
        partial.reserveCapacity(targets.count)
        pending.reserveCapacity(targets.count)
        isLive.reserveCapacity(targets.count)
        jobs.reserveCapacity(targets.count * max(1, methods.count))
        for item in resolved {
            addTarget(TargetResult(index: item.index, target: targets[item.index], address: item.address, resolveMilliseconds: item.milliseconds))
        }
    }

    /// One of the sweep's own targets joins (at the start, or once its name resolved): the kinds
    /// of its jobs, which the caller adds to the sweep in this order. Its result is final at once
    /// when nothing can measure it (see ``finalAtStart``, ``record(job:samples:)``).
    @discardableResult
    func addTarget(_ result: TargetResult) -> (position: Int, kinds: [ProbeKind]) {
        var result = result
        let position = partial.count
        let kinds = plan(&result, position: position, firstRound: firstRound)
        jobs += kinds.map { ProbeJob(position: position, kind: $0) }
        partial.append(result)
        pending.append(kinds.count)
        isLive.append(false)
        return (position, kinds)
    }

    /// Room for a few more positions when the tables are full, without doubling them: the early
    /// answer adds a dozen finalists to a first round of 10,000 results, and a doubling would hold
    /// 9 MB at once (the old 3 MB table and its 6 MB successor) where a sixteenth more holds 6.
    private func makeRoom() {
        guard partial.count == partial.capacity else { return }
        let room = partial.count + max(64, partial.count / 16)
        partial.reserveCapacity(room)
        pending.reserveCapacity(room)
        isLive.reserveCapacity(room)
    }

    /// The result at `position` (for a target nothing could measure).
    func result(at position: Int) -> TargetResult { partial[position] }

    /// Whether `job` belongs to one of the sweep's own targets (a first round's cutoff counts
    /// only those, and prunes only those).
    func isOwnTarget(job: Int) -> Bool { !isLive[jobs[job].position] }

    /// The target index behind `job`.
    func targetIndex(job: Int) -> Int { partial[jobs[job].position].index }

    /// The kinds of probe `result`'s address gets; notes on `result` what cannot run (no ICMP
    /// permission for its family, no port for TCP alone).
    private func plan(_ result: inout TargetResult, position: Int, firstRound: Bool) -> [ProbeKind] {
        let family = result.address?.family == .inet6 ? 1 : 0
        let handshake = handshakeKind(&result, position: position)
        let plan = SweepJobPlan.plan(methods: methods, icmpRuns: socketKinds[family] != nil, portKnown: result.target.portKnown,
                                     firstRound: firstRound, handshake: handshake)
        // ICMP's absence is noted unless the handshake alone measures the target.
        let handshakeAlone = handshake.map { plan == .probe([$0]) } ?? false
        if methods.contains(.icmp), let reason = icmpUnavailable[family], !handshakeAlone {
            result.icmp = Measurement(method: .icmp, samples: [], unavailable: reason)
        }
        switch plan {
        case .unmeasurable:
            result.tcp = SweepJobPlan.unmeasurableTCP
            return []
        case .noHandshake:
            if result.handshake == nil, let kind = methods.first(where: \.isHandshake) {
                let name = kind == .wireguard ? "WireGuard keys (a wg-quick file or a WireGuard link has them)" : "OpenVPN profile"
                result.handshake = Measurement(method: kind, samples: [], unavailable: "no \(name) for this server: not measurable by its handshake")
            }
            return []
        case .probe(let kinds):
            return kinds
        }
    }

    /// The kind of handshake that can run for `result`'s target (its conversation kept at
    /// `position`), or `nil`; notes on `result` why keys it has cannot be used.
    private func handshakeKind(_ result: inout TargetResult, position: Int) -> ProbeKind? {
        guard let service = result.target.handshake, methods.contains(service.kind) else { return nil }
        if let refusal = service.refusal {
            result.handshake = Measurement(method: service.kind, samples: [], unavailable: refusal)
            return nil
        }
        guard let codec else {
            result.handshake = Measurement(method: service.kind, samples: [], unavailable: "handshake probes are not available here")
            return nil
        }
        switch codec.conversation(for: service.material) {
        case .success(let conversation):
            conversations[position] = conversation
            return service.kind
        case .failure(let unsupported):
            result.handshake = Measurement(method: service.kind, samples: [], unavailable: unsupported.reason)
            return nil
        }
    }

    /// What a handshake job speaks with: its conversation, the service's port and transport.
    func handshake(job: Int) -> (conversation: any HandshakeConversation, port: UInt16, overTCP: Bool)? {
        let position = jobs[job].position
        guard let conversation = conversations[position], let service = partial[position].target.handshake else { return nil }
        return (conversation, service.port, service.overTCP)
    }

    /// Results nothing could run for (ICMP alone without permission, no port): final at once.
    var finalAtStart: [TargetResult] { partial.indices.filter { pending[$0] == 0 }.map { partial[$0] } }

    /// Records a job's samples; the event to report when its target became final.
    func record(job: Int, samples: [ProbeSample]) -> SweepEvent? {
        let position = jobs[job].position
        switch jobs[job].kind {
        case .tcp: partial[position].tcp = Measurement(method: .tcp, samples: samples)
        case .icmp:
            let family = partial[position].address?.family == .inet6 ? 1 : 0
            partial[position].icmp = Measurement(method: .icmp, samples: samples, socketKind: socketKinds[family])
        case .wireguard, .openvpn:
            partial[position].handshake = Measurement(method: jobs[job].kind, samples: samples)
            conversations[position] = nil
        }
        pending[position] -= 1
        guard pending[position] == 0 else { return nil }
        if !isLive[position] { return .result(partial[position]) }
        return dropped.contains(position) ? nil : .final(partial[position])
    }

    /// A live request joins: its jobs' kinds (the sweep adds them with `jobNumbers`), or the
    /// final event at once when nothing can measure it.
    func add(_ request: LiveSweep.Request, addJobs: ([ProbeKind]) -> [Int]) -> SweepEvent? {
        makeRoom()
        let position = partial.count
        var result = TargetResult(index: request.tag, target: request.target, address: request.address)
        let kinds = plan(&result, position: position, firstRound: false)
        partial.append(result)
        pending.append(kinds.count)
        isLive.append(true)
        positionsByTag[request.tag] = position
        jobsByPosition[position] = addJobs(kinds)
        jobs += kinds.map { ProbeJob(position: position, kind: $0) }
        return kinds.isEmpty ? .final(result) : nil
    }

    /// Gives up on the live request tagged `tag`: the jobs to drop.
    func drop(tag: Int) -> [Int] {
        guard let position = positionsByTag[tag] else { return [] }
        dropped.insert(position)
        return jobsByPosition[position] ?? []
    }

    /// The reactor failed: every first-round target not yet final gets `samples` (the error) and
    /// is reported.
    func failAll(with samples: [ProbeSample]) -> [SweepEvent] {
        var events: [SweepEvent] = []
        for position in partial.indices where !isLive[position] && pending[position] > 0 {
            if methods.contains(.tcp), partial[position].tcp == nil { partial[position].tcp = Measurement(method: .tcp, samples: samples) }
            if methods.contains(.icmp), partial[position].icmp == nil { partial[position].icmp = Measurement(method: .icmp, samples: samples) }
            if let kind = partial[position].target.handshake?.kind, methods.contains(kind), partial[position].handshake == nil {
                partial[position].handshake = Measurement(method: kind, samples: samples)
            }
            pending[position] = 0
            events.append(.result(partial[position]))
        }
        return events
    }
}
