import ArgumentParser
import Foundation
import ProbeKit

/// `probe`: pick the best VPN/proxy server before a client connects.
@main
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Pick the best VPN/proxy server by measuring every candidate.",
        discussion: """
            probe --best TARGET...        print the best target
            probe rank TARGET...          print every target ranked
            probe --best --demo           try it on built-in loopback listeners
            probe --best --config FILE    the best of every configured provider's servers
            probe servers | accounts      what the providers list, and their accounts

            probe --best --connect DIR    ... and write what a client needs to connect to it
            probe release DIR             give back what --connect created at the provider
            probe report --every 5m ...   a report every period (jsonl, csv, markdown, prometheus, html)
            probe serve --every 30s ...   long-running: /metrics for Prometheus, /best for an orchestrator
            probe config init | check     write a commented configuration, or check one

            Exit status: 0 a best target was found (and, with --connect, its connection written),
            2 nothing was reachable, 3 a best server was found but no connection material could
            be had, 64 bad usage, 74 stdout could not be written, 77 ICMP was required
            (--method icmp or both) but is not permitted.
            """,
        version: ProbeClient.version,
        subcommands: [BestCommand.self, RankCommand.self, ReportCommand.self, ServeCommand.self, ServersCommand.self, AccountsCommand.self, LogoutCommand.self,
                      ConnectCommand.self, ReleaseCommand.self, ConfigCommand.self],
        defaultSubcommand: BestCommand.self
    )

    /// Runs the command; every error is one line on stderr, with the documented exit status.
    static func main() async {
        Console.guardStandardDescriptors()
        ProcessMemory.returnLargeBlocks()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            let message = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            Console.error("\(message) (see 'probe --help')")
            Foundation.exit(code.rawValue)
        }
    }
}

/// Exit statuses that scripts rely on.
enum ExitStatus {
    /// Nothing answered.
    static let nothingReachable = ExitCode(2)
    /// A best server was found, but no connection material could be had (nor for a fallback).
    static let noConnection = ExitCode(3)
    /// Bad usage: flags, targets, files (EX_USAGE).
    static let usage = ExitCode(64)
    /// ICMP was required and this process may not send it (EX_NOPERM).
    static let noPermission = ExitCode(77)
}
