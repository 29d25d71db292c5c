package import ArgumentParser
import FoundationEssentials
import Glibc
import ProbeKit

/// The entry both binaries share (`probe`, `probe-serve`): standard descriptors guarded, then the
/// command parsed and run; every error is one line on stderr with the documented exit status.
package enum CommandMain {
    /// Parses `Root`'s arguments and runs the command. `parsed` sees the command before it runs,
    /// on the main thread (`probe serve` replaces the process there).
    package static func run<Root: ParsableCommand>(_ root: Root.Type, parsed: @Sendable (any ParsableCommand) -> Void = { _ in }) async -> Never {
        Console.guardStandardDescriptors()
        ProcessMemory.returnLargeBlocks()
        // As nmap does: the soft descriptor limit up to the hard one, so a wide sweep (or serve's
        // connections) is not held to a distribution's 1,024.
        FileDescriptorBudget.raiseSoftLimit()
        do {
            var command = try root.parseAsRoot()
            parsed(command)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(0)
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch {
            let code = root.exitCode(for: error)
            if code == .success {
                print(root.fullMessage(for: error))
                exit(0)
            }
            let message = root.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            Console.error("\(message) (see 'probe --help')")
            exit(code.rawValue)
        }
    }
}
