import ArgumentParser
import FoundationEssentials
import Glibc
import ProbeCommandLine
import ProbeKit

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

    @Option(name: .customLong("connect"), help: ArgumentHelp(
        "Write what a client needs to connect to the pick into DIR (0700, files 0600); '-' prints it with the material inline to stdout.",
        valueName: "DIR"))
    var connectDirectory: String?

    @OptionGroup var input: TargetInput
    @OptionGroup var probing: ProbingOptions
    @OptionGroup var ranking: RankingOptions
    @OptionGroup var connect: ConnectOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if connectDirectory == "-", output.json {
            throw ValidationError("--connect - and --json both write to stdout: give --connect a directory, or drop --json")
        }
        if connectDirectory != nil, ranking.protocols.count > 1 {
            throw ValidationError("--connect takes one --protocol at most, got \(ranking.protocols.count)")
        }
    }

    func run() async throws {
        let wanted = connectDirectory.map { connect.options(protocol: ranking.protocols.first, directory: $0 == "-" ? nil : $0) }
        // A connect may create a WireGuard configuration at the provider: SIGINT and SIGTERM give
        // it back before exiting (130, 143) instead of leaving it orphaned there.
        let report = try await Interruption.guarding(connectDirectory != nil) { [self] in
            try await RunCommand.run(input: input, probing: probing, ranking: ranking, output: output, early: !full, connect: wanted)
        }
        if let destination = connectDirectory, report.best != nil {
            guard let connection = report.connection else {
                if output.json { try ReportFormatter.writeJSON(report, to: Console.flush) }
                throw ExitStatus.noConnection
            }
            if destination == "-" {
                try ConnectionOutput.write(connection, to: destination)
                return
            }
        }
        if output.json {
            try ReportFormatter.writeJSON(report, to: Console.flush)
        } else if let best = report.best {
            if let connection = report.connection {
                Console.human(output.quiet ? connection.endpoint : ReportFormatter.bestLine(best))
                if !output.quiet, let destination = connectDirectory {
                    if let reason = connection.fallbackReason { Console.human("fallback: \(reason)") }
                    Console.human(ConnectionOutput.line(connection, destination: destination))
                }
            } else {
                Console.human(output.quiet ? ReportFormatter.quietTarget(best) : ReportFormatter.bestLine(best))
            }
            if ranking.explain { Console.human(ReportFormatter.explanation(report)) }
        } else {
            Console.note(ReportFormatter.nothingReachable(report), quiet: output.quiet)
        }
        for note in report.connection?.notes ?? [] { Console.note("probe: note: \(note)", quiet: output.quiet) }
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
            Console.out(ReportFormatter.table(report, layout: .current()))
            if ranking.explain { Console.human(ReportFormatter.explanation(report)) }
            if report.best == nil { Console.note(ReportFormatter.nothingReachable(report), quiet: output.quiet) }
        }
        if report.best == nil { throw ExitStatus.nothingReachable }
    }
}

extension RunCommand {
    /// One run for `--best` (early unless `--full`) and `rank`: errors and notes on stderr, the
    /// exit status for nothing reachable, bad input and missing ICMP permission.
    static func run(
        input: TargetInput, probing: ProbingOptions, ranking: RankingOptions, output: OutputOptions, early: Bool = false,
        connect: ProbeClient.ConnectOptions? = nil
    ) async throws -> ProbeReport {
        let prepared = try prepare(input: input, probing: probing, ranking: ranking, quiet: output.quiet)
        defer { prepared.demo?.stop() }
        let report: ProbeReport
        do throws(ProbeClientError) {
            if let connect {
                guard prepared.providers || prepared.client.demo else {
                    throw ProbeClientError(.configuration, "--connect needs a providers file (--config FILE): explicit targets and --demo carry no connection material")
                }
                let progress = output.quiet ? nil : Console.terminalProgress()
                report = try await prepared.client.pick(early: early, connect: connect, progress: progress)
                Console.endProgress()
            } else {
                report = early ? try await prepared.client.best() : try await prepared.client.rank()
            }
        } catch {
            prepared.progress?.clear()
            if error.code == .configuration { throw ValidationError(error.message) }
            if error.code == .noTargets {
                throw ValidationError(noTargets(providersFile: prepared.client.configuration.providersFile, providers: prepared.providers))
            }
            if error.code == .descriptorLimit {
                Console.error(error.message)
                throw ExitStatus.usage
            }
            if error.code == .connection {  // the connection's directory was refused: nothing was created
                Console.error(error.message)
                throw ExitStatus.noConnection
            }
            throw error
        }
        prepared.progress?.clear()
        for note in report.notes { Console.note("probe: note: \(note)", quiet: output.quiet) }
        for error in report.errors { Console.error(error.description) }
        if report.ranked.isEmpty {
            // Nothing to probe: every provider failed (nothing reachable), or every target was bad (usage).
            throw prepared.providers ? ExitStatus.nothingReachable : ExitStatus.usage
        }
        if let reason = report.sweep?.icmpUnavailable {
            if probing.method.requiresICMP {
                Console.error(reason)
                // Out of descriptors is a limit the user sets (usage), not a missing permission.
                throw reason.contains("EMFILE") ? ExitStatus.usage : ExitStatus.noPermission
            }
            if !output.quiet { Console.error("\(reason); going on with TCP alone") }
        }
        return report
    }
}
