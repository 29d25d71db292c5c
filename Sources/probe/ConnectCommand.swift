import ArgumentParser
import FoundationEssentials
import Glibc
import ProbeCommandLine
import ProbeKit

/// Writing a connection where the user asked: a directory, or `-` (the manifest with the
/// material inline on stdout, because the user asked for it there).
enum ConnectionOutput {
    static func write(_ connection: Connection, to destination: String) throws {
        if destination == "-" {
            Console.out(connection.inlineManifest())
            return
        }
        do {
            try ProbeClient.write(connection, to: destination)
        } catch {
            Console.error(error.message)
            throw ExitStatus.noConnection
        }
    }

    /// `connection: openvpn 127.0.1.1:1194/udp in DIR (profile.ovpn, openvpn-auth.txt)`, with the fallback reason.
    static func line(_ connection: Connection, destination: String) -> String {
        let transport = connection.transport.map { "/\($0)" } ?? ""
        var line = "connection: \(connection.protocol) \(connection.endpoint)\(transport) in \(destination) (\(connection.files.values.sorted().joined(separator: ", ")))"
        if !connection.created.isEmpty { line += "; created at \(connection.provider): release with 'probe release \(destination)'" }
        return line
    }
}

/// `probe connect --provider NAME --server ID DIR`: the connection to a server the user names.
struct ConnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Fetch what a client needs to connect to one server (ids as in 'probe servers --json').",
        discussion: "DIR is created 0700, every file 0600; '-' prints the manifest with the material inline (secrets included) to stdout.")

    @Option(help: "The provider's configured name.")
    var provider: String

    @Option(help: "The server's id (as in 'probe servers --json', e.g. vs:1), or the provider's own id.")
    var server: String

    @Option(name: .customLong("protocol"), help: "The protocol wanted (openvpn, wireguard, vmess, ...); another is refused.")
    var wantedProtocol: String?

    @Argument(help: ArgumentHelp("Where to write the connection ('-': stdout).", valueName: "DIR"))
    var directory: String

    @OptionGroup var providers: ProviderInput
    @OptionGroup var connect: ConnectOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        guard providers.configured() else {
            throw ValidationError("no providers file: give one (--config FILE), or a source (--from SOURCE)")
        }
        let client = ProbeClient(configuration: providers.clientConfiguration())
        let progress = output.quiet ? nil : Console.terminalProgress()
        let options = connect.options(protocol: wantedProtocol, directory: directory == "-" ? nil : directory)
        let connection: Connection
        do {
            connection = try await Interruption.guarding { [provider, server] () async throws(ProbeClientError) -> Connection in
                try await client.connect(provider: provider, server: server, options: options, progress: progress)
            }
        } catch let error as ProbeClientError {
            Console.endProgress()
            Console.error(error.message)
            if error.code == .configuration || error.code == .unknownServer { throw ExitStatus.usage }
            throw ExitStatus.noConnection
        }
        Console.endProgress()
        guard directory != "-" else {
            try ConnectionOutput.write(connection, to: directory)
            return
        }
        if output.json {
            Console.out(connection.manifestJSON())
        } else if output.quiet {
            Console.human(connection.endpoint)
        } else {
            Console.human(ConnectionOutput.line(connection, destination: directory))
        }
        for note in connection.notes { Console.note("probe: note: \(note)", quiet: output.quiet) }
    }
}

/// `probe release DIR`: give back what probe created for that connection, then remove DIR.
struct ReleaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Give back what probe created at the provider for a connection (a WireGuard configuration), then remove DIR.")

    @Argument(help: ArgumentHelp("A directory written by '--connect DIR' or 'probe connect'.", valueName: "DIR"))
    var directory: String

    @OptionGroup var providers: ProviderInput
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = ProbeClient(configuration: providers.clientConfiguration())
        do {
            for line in try await client.release(directory: directory) { Console.note(line, quiet: output.quiet) }
        } catch {
            Console.error(error.message)
            throw error.code == .connection ? ExitStatus.noConnection : ExitStatus.usage
        }
    }
}
