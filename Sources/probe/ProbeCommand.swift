import ArgumentParser
import FoundationEssentials
import Glibc
import ProbeCommandLine
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
            be had, 64 bad usage, 69 probe-serve (what probe serve runs) is not installed beside
            probe, 74 stdout could not be written, 77 ICMP was required (--method icmp or both)
            but is not permitted.
            """,
        version: ProbeClient.version,
        subcommands: [BestCommand.self, RankCommand.self, ReportCommand.self, ServeCommand.self, ServersCommand.self, AccountsCommand.self, LogoutCommand.self,
                      ConnectCommand.self, ReleaseCommand.self, ConfigCommand.self],
        defaultSubcommand: BestCommand.self
    )

    /// Runs the command; every error is one line on stderr, with the documented exit status.
    /// `probe serve` becomes `probe-serve` here, before anything else runs.
    static func main() {
        CommandMain.start(Self.self) { command in
            if command is ServeCommand { ServeLauncher.replaceProcess() }
        }
    }
}
