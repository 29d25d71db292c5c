import ArgumentParser
import SafeText
import FoundationEssentials
import Glibc
import ProbeCommandLine
import ProbeKit

/// `probe servers`: every provider's servers, normalised.
struct ServersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "servers", abstract: "List every provider's servers, normalised.")

    @OptionGroup var providers: ProviderInput
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let fetched = try await ProvidersCommand.fetch(providers, quiet: output.quiet)
        if output.json {
            try ProvidersCommand.printArray(fetched.servers) { server, bytes in try StreamingJSONEncoder().encode(server, into: &bytes) }
        } else {
            let rows = fetched.servers.map { server in
                [server.provider, server.name, server.host, server.port.map(String.init) ?? "-", server.protocol ?? "-",
                 server.country ?? "-", server.city ?? "-", server.load.map { String(printf: "%g", $0) } ?? "-",
                 server.wgAvailableSlots.map { "\($0)/\(server.wgSlots.map(String.init) ?? "?")" } ?? "-"]
            }
            Console.out(ProvidersCommand.table(["PROVIDER", "NAME", "HOST", "PORT", "PROTOCOL", "COUNTRY", "CITY", "LOAD", "WG FREE"], rows))
        }
        if fetched.outcomes.allSatisfy({ $0.error != nil }) { throw ExitStatus.nothingReachable }
    }
}

/// `probe accounts`: each provider's account state.
struct AccountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "accounts", abstract: "Show each provider's account: expiry, traffic, suspension.")

    @OptionGroup var providers: ProviderInput
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let fetched = try await ProvidersCommand.fetch(providers, quiet: output.quiet)
        if output.json {
            try ProvidersCommand.printArray(fetched.outcomes) { outcome, bytes in
                bytes += Array("{\"provider\":".utf8)
                try StreamingJSONEncoder().encode(outcome.provider, into: &bytes)
                bytes += Array(",\"account\":".utf8)
                if let account = outcome.account { try StreamingJSONEncoder().encode(account, into: &bytes) } else { bytes += Array("null".utf8) }
                bytes += Array(",\"error\":".utf8)
                if let error = outcome.error { try StreamingJSONEncoder().encode(error, into: &bytes) } else { bytes += Array("null".utf8) }
                bytes += Array("}".utf8)
            }
        } else {
            let rows = fetched.outcomes.map { outcome in
                [outcome.provider, outcome.account?.status ?? (outcome.error == nil ? "-" : "error"), outcome.account?.expiresAt ?? "-",
                 outcome.account?.remainingTraffic ?? "-", outcome.account?.onlineDevices ?? "-",
                 outcome.error ?? outcome.account?.exclusionReason.map { "left out: \($0)" } ?? ""]
            }
            Console.out(ProvidersCommand.table(["PROVIDER", "STATUS", "EXPIRES", "REMAINING", "ONLINE", "NOTE"], rows))
        }
    }
}

/// `probe logout PROVIDER`: end the provider session and forget its token.
struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "End a provider's session (NetMimic) and forget its cached token.")

    @Argument(help: "The provider's name in the configuration.")
    var provider: String

    @OptionGroup var providers: ProviderInput

    func run() async throws {
        let client = ProbeClient(configuration: providers.clientConfiguration())
        do {
            Console.out(try await client.logout(provider: provider))
        } catch {
            if error.code == .configuration { throw ValidationError(error.message) }
            Console.error(error.message)
            throw ExitCode(1)
        }
    }
}

enum ProvidersCommand {
    /// A JSON array on stdout, one element a line (`[` and `]` on lines of their own; `[]` when empty).
    static func printArray<Element>(_ elements: [Element], _ encode: (Element, inout [UInt8]) throws -> Void) throws {
        var bytes: [UInt8] = Array("[".utf8)
        for (index, element) in elements.enumerated() {
            bytes += Array((index == 0 ? "\n  " : ",\n  ").utf8)
            try encode(element, &bytes)
        }
        bytes += Array((elements.isEmpty ? "]\n" : "\n]\n").utf8)
        Console.flush(&bytes)
    }

    static func fetch(_ input: ProviderInput, quiet: Bool) async throws -> ProviderListing {
        let progress = ProgressLine.make(quiet: quiet)
        var report: (@Sendable (ProbeProgress) -> Void)?
        if let progress { report = { progress.update($0) } }
        let client = ProbeClient(configuration: input.clientConfiguration(), progress: report)
        do {
            let fetched = try await client.fetchProviders()
            progress?.clear()
            for warning in fetched.warnings where !quiet { Console.error("warning: \(warning)") }
            for error in fetched.errors { Console.error(error.description) }
            return fetched
        } catch {
            progress?.clear()
            throw ValidationError(error.message)
        }
    }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = ([header] + rows).map { $0.map(ReportFormatter.shown) }
        var widths = Array(repeating: 0, count: header.count)
        for row in all { for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) } }
        return all.map { row in
            row.enumerated().map { $1 + String(repeating: " ", count: widths[$0] - $1.count) }.joined(separator: "  ").trimmingTrailingSpaces()
        }.joined(separator: "\n")
    }
}
