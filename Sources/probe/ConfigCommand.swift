import ArgumentParser
import FoundationEssentials
import Glibc
import ProbeCommandLine
import ProbeKit

/// `probe config init` and `probe config check [FILE]`.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Write a commented example configuration, or check one.",
        subcommands: [Init.self, Check.self])

    /// `probe config init [FILE]`.
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a commented example configuration (0600, in a 0700 directory; default: the XDG path probe reads).")

        @Argument(help: ArgumentHelp("Where to write it (default: $XDG_CONFIG_HOME/probe/config.json).", valueName: "FILE"))
        var file: String?

        @Flag(help: "Replace an existing file.")
        var force = false

        func run() throws {
            guard let path = file ?? ConfigurationTools.defaultPath else {
                throw ValidationError("neither XDG_CONFIG_HOME nor HOME is set: give the FILE to write")
            }
            do {
                try ConfigurationTools.writeExample(to: path, replace: force)
            } catch {
                throw ValidationError(error.message)
            }
            Console.out("wrote \(path): every provider type, disabled; set \"enabled\": true on yours, then 'probe config check'")
        }
    }

    /// `probe config check [FILE]`.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a configuration: unknown keys, missing fields, inline secrets others can read, unset env: variables.",
            discussion: "One line per problem on stderr; exit 0 when there is none, 64 when there is.")

        @Argument(help: ArgumentHelp("The file (default: $XDG_CONFIG_HOME/probe/config.json).", valueName: "FILE"))
        var file: String?

        func run() throws {
            guard let path = file ?? ConfigurationTools.defaultPath else {
                throw ValidationError("neither XDG_CONFIG_HOME nor HOME is set: give the FILE to check")
            }
            let (problems, summary) = ConfigurationTools.check(path: path)
            for problem in problems { Console.error(problem) }
            guard problems.isEmpty else { throw ExitStatus.usage }
            Console.out("\(path): ok (\(summary))")
        }
    }
}
