/// The early answer's rules as a pure state machine (as ``SweepStateMachine`` is for a sweep):
/// events in, actions out; no I/O and no clock, so every rule is tested at its threshold without
/// sockets or sleeping. `ProbeSession.best` is the shell that feeds it the sweep's events and
/// performs its actions on the one running reactor.
///
/// Rules:
/// - The cutoff is `factor × best first-round score + margin` (``EarlyAnswerOptions``); it only
///   tightens as answers come in.
/// - A target whose first-round score is within the cutoff in force when it answered is a
///   finalist at once: it is measured in full while the first round goes on.
/// - At most ``EarlyAnswerOptions/maximumFinalists`` are launched on their score; past the cap,
///   only a new leader (a score better than every launched one) is.
/// - The incumbent (the sticky choice) and servers whose recent typical score beats the cutoff are
///   finalists whatever their first-round answer (if they may win at all), with the full timeout.
/// - A finalist launched on its score gets a timeout of `min(timeout, max(30 ms, 3 × cutoff))`: a
///   sample later than that could not make it win (the late sample alone would cost more in jitter
///   and tail than the cutoff allows), so one lossy finalist never holds the answer for the
///   whole timeout. `--explain` and `--timeout`'s help say so.
/// - When the first round is done the cutoff is final: finalists launched on a looser one whose
///   score is beyond it are dropped.
/// - The plan finishes when the first round is done and every finalist is measured or dropped.
package struct EarlyAnswerPlan {
    /// What the shell should do.
    enum Action: Hashable {
        /// Measure target `target` in full, each probe giving up after `timeoutMilliseconds`.
        case measure(target: Int, timeoutMilliseconds: Int)
        /// Stop measuring target `target` (its first-round figure is beyond the final cutoff).
        case drop(target: Int)
        /// The first round is done and every finalist is final.
        case finish
    }

    /// A target's first-round answer, as the plan needs it.
    struct Answer: Hashable {
        /// The target's index.
        var target: Int
        /// Its first-round score (fastest answer plus capacity terms); `nil` when it did not answer
        /// or may not win.
        var score: Double?
        /// Whether its name resolved (an unresolved target cannot be measured).
        var resolved: Bool = true
        /// Whether the filters let it win at all.
        var eligible: Bool = true
        /// Whether it is the sticky choice of earlier runs.
        var incumbent: Bool = false
        /// Its typical score in recent runs, when known.
        var typicalScore: Double?
    }

    let options: EarlyAnswerOptions
    let timeoutMilliseconds: Int
    /// The cutoff in force (ms), once any target has answered.
    private(set) var cutoff: Double?
    /// Every target launched as a finalist (dropped ones removed).
    private(set) var finalists = Set<Int>()
    /// Finalists not yet final.
    private(set) var outstanding = Set<Int>()
    /// The first-round score each finalist was launched on.
    private(set) var launchScores: [Int: Double] = [:]
    private var bestLaunched = Double.infinity
    private(set) var firstRoundDone = false
    private(set) var finished = false

    /// A plan for a run whose probes time out after `timeoutMilliseconds`.
    init(options: EarlyAnswerOptions, timeoutMilliseconds: Int) {
        self.options = options
        self.timeoutMilliseconds = max(1, timeoutMilliseconds)
    }

    /// A finalist launched on its score waits at least this long per probe...
    package static let finalistFloorMilliseconds = 30
    /// ...and at most this many cutoffs (a later sample could not make it win).
    package static let finalistCutoffMultiple = 3

    /// The rule in words, for the help and the documentation (`MS`: the `--timeout`).
    package static var finalistRule: String { "min(MS, max(\(finalistFloorMilliseconds), \(finalistCutoffMultiple) × the cutoff))" }

    /// The timeout of a finalist launched on its score, given the cutoff in force (the one place
    /// the rule is computed: the plan uses it, and the report carries what it gave).
    package static func finalistTimeout(timeout: Int, cutoff: Double?) -> Int {
        guard let cutoff else { return timeout }
        let scaled = max(Double(finalistFloorMilliseconds), Double(finalistCutoffMultiple) * cutoff)
        return scaled.isFinite && scaled < Double(timeout) ? Int(scaled.rounded(.up)) : timeout
    }

    /// A target answered (or gave up) in the first round.
    mutating func firstRoundAnswer(_ answer: Answer) -> [Action] {
        guard !finished else { return [] }
        var actions: [Action] = []
        if let score = answer.score {
            cutoff = min(cutoff ?? .infinity, options.cutoff(forScore: score))
            if score <= cutoff ?? .infinity, let action = launch(answer, score: score) { actions.append(action) }
        }
        // The incumbent, and servers whose recent scores beat the cutoff (an ICMP-silent server that
        // answers TCP fast is found this way once a full run has measured it).
        if answer.eligible, answer.incumbent || promising(answer), let action = launch(answer, score: nil) { actions.append(action) }
        return actions
    }

    /// Every first-round answer is in: the cutoff is final.
    mutating func firstRoundComplete() -> [Action] {
        guard !firstRoundDone else { return [] }
        firstRoundDone = true
        var actions: [Action] = []
        for (target, score) in launchScores.sorted(by: { $0.key < $1.key }) where score > cutoff ?? .infinity && outstanding.contains(target) {
            finalists.remove(target)
            outstanding.remove(target)
            actions.append(.drop(target: target))
        }
        return actions + finishIfDone()
    }

    /// Whether to stop waiting for the `pending` names still resolving, with `answered` of `total`
    /// first-round answers in: when everything else has answered and some target has a score (the
    /// round could end), unless the user awaits every name. Without a score there is no answer
    /// yet, so the names are waited for.
    func abandonsNames(pending: Int, answered: Int, total: Int) -> Bool {
        !options.awaitNames && !firstRoundDone && pending > 0 && answered + pending >= total && cutoff != nil
    }

    /// A finalist's full measurement is final.
    mutating func finalistResult(_ target: Int) -> [Action] {
        guard outstanding.remove(target) != nil else { return [] }
        return finishIfDone()
    }

    private mutating func finishIfDone() -> [Action] {
        guard firstRoundDone, outstanding.isEmpty, !finished else { return [] }
        finished = true
        return [.finish]
    }

    private func promising(_ answer: Answer) -> Bool {
        guard let typical = answer.typicalScore else { return false }
        return cutoff.map { typical <= $0 } ?? true
    }

    private mutating func launch(_ answer: Answer, score: Double?) -> Action? {
        // Past the cap, only a new leader (or the incumbent) is measured: the answer needs it.
        let room = finalists.count < max(1, options.maximumFinalists) || (score ?? .infinity) < bestLaunched
        guard answer.resolved, room || answer.incumbent, !finalists.contains(answer.target) else { return nil }
        finalists.insert(answer.target)
        outstanding.insert(answer.target)
        var timeout = timeoutMilliseconds
        if let score {
            launchScores[answer.target] = score
            bestLaunched = min(bestLaunched, score)
            timeout = Self.finalistTimeout(timeout: timeoutMilliseconds, cutoff: cutoff)
        }
        return .measure(target: answer.target, timeoutMilliseconds: timeout)
    }
}
