import ArgumentParser
import SafeText
import FoundationEssentials
import ProbeCommandLine
import ProbeKit
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `probe report --every 5m --format prometheus --output /var/lib/node_exporter/probe.prom`:
/// fetch, probe and rank on a schedule, writing each round as it ends.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Fetch, probe and rank once, or every period, writing each round (jsonl, csv, markdown, prometheus, html).",
        discussion: """
            Round k starts k periods after the first, even when a round was slow; rounds never overlap, \
            and a round whose start passed while the previous one ran is skipped (and reported). With \
            --output, every round replaces the file atomically (jsonl and csv files hold every round so far). \
            SIGINT and SIGTERM stop after the output being written is complete: exit 130 and 143.
            """
    )

    @Option(help: ArgumentHelp("Time between rounds: 30s, 5m, 1h, 500ms (a bare number is seconds). Without it: one round.", valueName: "DURATION"))
    var every: String?

    @Option(help: "Rounds to run (default: until stopped).")
    var count: Int?

    @Option(help: "Output format: jsonl, csv, markdown, prometheus or html.")
    var format: ReportFormat = .jsonl

    @Option(help: ArgumentHelp("Write to FILE (replaced atomically each round) instead of standard output.", valueName: "FILE"))
    var output: String?

    @Option(help: ArgumentHelp(
        "With --format html: keep the page's history in FILE (JSON lines) and read it back at start, so a timer-driven report shows days, not one process's rounds.",
        valueName: "FILE"))
    var history: String?

    @Option(help: ArgumentHelp("History kept: a number of rounds (default 500) or an age (7d, 12h).", valueName: "ROUNDS|DURATION"))
    var keep = "500"

    @OptionGroup var input: TargetInput
    @OptionGroup var probing: ProbingOptions
    @OptionGroup var ranking: RankingOptions

    @Flag(name: [.short, .long], help: "No progress, notes or warnings on stderr.")
    var quiet = false

    func validate() throws {
        if let every {
            guard let period = DurationText.parse(every) else {
                throw ValidationError("--every '\(every)' is not a duration (try 30s, 5m, 1h or 500ms)")
            }
            guard period >= .milliseconds(10), period <= .seconds(7 * 86_400) else {
                throw ValidationError("--every must be between 10ms and 7 days, got '\(every)'")
            }
        }
        if let count, count < 1 { throw ValidationError("--count must be 1 or more, got \(count)") }
        if let count, count > 1, every == nil { throw ValidationError("--count \(count) needs --every (the time between rounds)") }
        if history != nil, format != .html { throw ValidationError("--history keeps the html report's history: give --format html") }
        if HTMLReport.Retention(keep) == nil { throw ValidationError("--keep '\(keep)' is not a number of rounds (500) or a duration (7d, 12h)") }
        if let output {
            let directory = output.deletingLastPathComponent
            var status = stat()
            if !directory.isEmpty, !(stat(directory, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR) {
                throw ValidationError("--output '\(output)': the directory '\(directory)' does not exist")
            }
        }
    }

    func run() async throws {
        // Without --every: one round (its period never comes into play).
        let every = self.every ?? "1s"
        let count = self.every == nil ? 1 : self.count
        guard let period = DurationText.parse(every) else { throw ValidationError("--every '\(every)' is not a duration") }
        let prepared = try RunCommand.prepare(input: input, probing: probing, ranking: ranking, quiet: quiet)
        defer { prepared.demo?.stop() }
        let signals = SignalWatcher(signals: [SIGINT, SIGTERM])
        let writer = ReportWriter(format: format, path: output)
        let progress = prepared.progress
        // The exit status: nil while all is well; 74 once a round could not be written, 64 when a
        // round cannot run at all (no targets, an unusable descriptor limit), 128 + the signal.
        let status = await withTaskGroup(of: Int32?.self) { group in
            group.addTask {
                var renderer = ReportRenderer(format: format)
                var writer = writer
                var status: Int32?
                renderer.html.retention = HTMLReport.Retention(keep) ?? .rounds(500)
                if let history {
                    let (rounds, skipped) = HTMLReport.readHistory(path: history)
                    renderer.html.restore(rounds)
                    if skipped > 0 { Console.error("\(history): \(skipped) line(s) are not rounds and were skipped") }
                }
                for await round in prepared.client.rounds(every: period, count: count) {
                    progress?.clear()
                    if round.skipped > 0, !quiet {
                        Console.error("\(round.skipped) round(s) skipped before round \(round.index): the previous round overran the \(every) period")
                    }
                    if case .failure(let error) = round.result {
                        if [.noTargets, .configuration, .descriptorLimit].contains(error.code) {
                            Console.error(error.code == .noTargets
                                ? RunCommand.noTargets(providersFile: prepared.client.configuration.providersFile, providers: prepared.providers) : error.message)
                            return ExitStatus.usage.rawValue
                        }
                        Console.error("round \(round.index): \(error.message)")
                    }
                    if case .success(let report) = round.result {
                        if !quiet { for note in report.notes { Console.error("note: \(note)") } }
                        for error in report.errors { Console.error(error.description) }
                    }
                    // Written in one go, before the next cancellation point: a signal never cuts a file short.
                    if let problem = writer.write(renderer.render(round, timestamp: WallClock.now()), header: renderer.header) {
                        Console.error("round \(round.index) not written: \(problem)")
                        status = Console.ioError
                    }
                    if let history {
                        do {
                            try AtomicFile.write(Data(renderer.html.historyText.utf8), to: history, mode: 0o600)
                        } catch {
                            Console.error("round \(round.index) not kept in \(history): \(error)")
                            status = Console.ioError
                        }
                    }
                }
                return status
            }
            group.addTask { await signals.next().map { 128 + $0 } }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        progress?.clear()
        signals.stop()
        if let status { throw ExitCode(status) }
    }
}
