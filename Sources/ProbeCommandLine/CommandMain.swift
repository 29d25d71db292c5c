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
        await execute(root, prepare(root, parsed: parsed))
    }

    /// ``run(_:parsed:)`` from a synchronous `main`: the command is parsed and `parsed` called on
    /// the main thread, the command then runs on Swift's pool while the main thread waits with
    /// every signal blocked, and the process exits when it is done.
    ///
    /// An `async` main ends its main thread in `dispatch_main()`, whose `pthread_exit` unwinds that
    /// thread: 9 page faults into `.eh_frame`, about 0.6 to 1.5 MB resident for the whole run, for
    /// nothing. Signals are blocked here as `dispatch_main()` blocks them (libdispatch's own mask:
    /// every signal but those a fault or a broken pipe raises in the thread that caused it), so the
    /// process's signal sources (``SignalWatcher``, read through libdispatch) still see every one,
    /// and the threads started from here inherit a mask where a crash still reaches its handler.
    package static func start<Root: ParsableCommand>(_ root: Root.Type, parsed: @Sendable (any ParsableCommand) -> Void = { _ in }) -> Never {
        let command = prepare(root, parsed: parsed)
        var blocked = sigset_t()
        sigfillset(&blocked)
        for synchronous in [SIGILL, SIGTRAP, SIGFPE, SIGBUS, SIGSEGV, SIGSYS, SIGPIPE, SIGPROF] {
            sigdelset(&blocked, synchronous)
        }
        pthread_sigmask(SIG_BLOCK, &blocked, nil)
        let parsedCommand = ParsedCommand(command: command)
        Task.detached {
            await execute(root, parsedCommand.command)
        }
        while true { pause() }
    }

    /// What every command's process starts with, then its command parsed (a bad one exits here)
    /// and shown to `parsed`, on the calling thread.
    private static func prepare<Root: ParsableCommand>(_ root: Root.Type, parsed: (any ParsableCommand) -> Void) -> any ParsableCommand {
        Console.guardStandardDescriptors()
        ProcessMemory.returnLargeBlocks()
        // As nmap does: the soft descriptor limit up to the hard one, so a wide sweep (or serve's
        // connections) is not held to a distribution's 1,024.
        FileDescriptorBudget.raiseSoftLimit()
        do {
            let command = try root.parseAsRoot()
            parsed(command)
            return command
        } catch {
            fail(root, error)
        }
    }

    /// Runs a parsed command and exits with its status.
    private static func execute<Root: ParsableCommand>(_ root: Root.Type, _ command: any ParsableCommand) async -> Never {
        var command = command
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(0)
        } catch {
            fail(root, error)
        }
    }

    /// One line on stderr and the documented exit status (help and `--version` print and exit 0).
    private static func fail<Root: ParsableCommand>(_ root: Root.Type, _ error: any Error) -> Never {
        if let code = error as? ExitCode { exit(code.rawValue) }
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

/// A parsed command handed from the main thread to the task that runs it (the main thread never
/// touches it again).
private struct ParsedCommand: @unchecked Sendable {
    let command: any ParsableCommand
}
