import ArgumentParser
import ProbeKit
import ProviderFetch
import Ranking

/// `probe --best`: print the best target in one line (the default command).
struct BestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "best",
        abstract: "Print the best target in one line (the default: 'probe --best ...')."
    )

    @Flag(name: .customLong("best"), help: "Print the best target (the default action).")
    var best = false

    @Flag(name: .customLong("full"), help: "Measure every server with every sample (no early answer).")
    var full = false

    @OptionGroup var input: TargetInput
    @OptionGroup var probing: ProbingOptions
    @OptionGroup var ranking: RankingOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let report = try await RunCommand.run(input: input, probing: probing, ranking: ranking, output: output, early: !full)
        if output.json {
            try ReportFormatter.writeJSON(report, to: Console.flush)
        } else if let best = report.best {
            Console.out(output.quiet ? best.target : ReportFormatter.bestLine(best))
            if ranking.explain { Console.out(ReportFormatter.explanation(report)) }
        } else {
            Console.note(ReportFormatter.nothingReachable(report), quiet: output.quiet)
        }
        if report.best == nil { throw ExitStatus.nothingReachable }
    }
}

/// `probe rank`: every target ranked, as an aligned table.
struct RankCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rank",
        abstract: "Print every target ranked, best first, as an aligned table."
    )

    @OptionGroup var input: TargetInput
    @OptionGroup var probing: ProbingOptions
    @OptionGroup var ranking: RankingOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let report = try await RunCommand.run(input: input, probing: probing, ranking: ranking, output: output)
        if output.json {
            try ReportFormatter.writeJSON(report, to: Console.flush)
        } else {
            Console.out(ReportFormatter.table(report))
            if ranking.explain { Console.out(ReportFormatter.explanation(report)) }
            if report.best == nil { Console.note(ReportFormatter.nothingReachable(report), quiet: output.quiet) }
        }
        if report.best == nil { throw ExitStatus.nothingReachable }
    }
}

/// The wiring both commands share: read targets, start the demo if asked, run, report errors.
enum RunCommand {
    static func run(
        input: TargetInput, probing: ProbingOptions, ranking: RankingOptions, output: OutputOptions, early: Bool = false
    ) async throws -> ProbeReport {
        var (targets, errors) = try input.load()
        let explicit = !input.targets.isEmpty || input.targetsFile != nil || input.demo
        var servers: [Server] = []
        var weights = try ranking.weights(configured: nil)
        if let loaded = try input.providers.load(useDefault: !explicit, quiet: output.quiet) {
            weights = try ranking.weights(configured: loaded.0.ranking)
            let fetched = await ProviderInput.fetch(loaded)
            servers = fetched.servers
            errors += fetched.errors
        }
        var demo: DemoNetwork?
        if input.demo {
            do {
                let network = try DemoNetwork()
                demo = network
                servers = network.servers + servers
                Console.note(
                    "demo: \(network.servers.count) servers of 4 sample providers on \(network.targets.count) loopback listeners "
                        + "(\(network.openCount) open, \(network.closedCount) closed); nothing leaves this machine",
                    quiet: output.quiet)
            } catch {
                throw ValidationError("cannot start the demo listeners: \(error)")
            }
        }
        defer { demo?.stop() }
        for error in errors { Console.error(error.description) }
        guard !targets.isEmpty || !servers.isEmpty else {
            if errors.isEmpty {
                throw ValidationError("no targets: give TARGET..., --targets FILE, --config FILE, or --demo (try 'probe --best --demo')")
            }
            if input.providers.path(useDefault: !explicit) != nil { throw ExitStatus.nothingReachable }  // every provider failed
            throw ExitStatus.usage  // every target was bad; each was named above
        }
        let session = ProbeSession(configuration: ProbeConfiguration(
            probe: probing.probeOptions, method: probing.method, ranking: weights, filter: ranking.filter))
        let store = ranking.statePath.map(StateStore.init(path:))
        var prior: StickyState?
        if let store {
            let (state, warning) = store.load()
            if let warning { Console.error(warning) }
            prior = state
        }
        var report = early
            ? await session.best(targets: targets, servers: servers, errors: errors, prior: prior)
            : await session.run(targets: targets, servers: servers, errors: errors)
        for note in report.notes { Console.note("probe: note: \(note)", quiet: output.quiet) }
        if let store, let prior {
            let decision = report.stickyDecision(state: prior, policy: ranking.stickyPolicy)
            report.apply(decision)
            var next = decision.state
            report.recordHistory(into: &next)
            if let problem = store.save(next), !output.quiet { Console.error("warning: \(problem)") }
        }
        for error in report.errors.dropFirst(errors.count) { Console.error(error.description) }
        if let reason = report.sweep?.icmpUnavailable {
            if probing.method.requiresICMP {
                Console.error(reason)
                throw ExitStatus.noPermission
            }
            if !output.quiet { Console.error("\(reason); going on with TCP alone") }
        }
        return report
    }
}
