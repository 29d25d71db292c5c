import ArgumentParser
import FoundationEssentials
import ProbeCommandLine
#if canImport(Glibc)
import Glibc
#endif

/// `probe serve ...`: the long-running server, which lives in its own binary (`probe-serve`, with
/// the HTTP and TLS stack `probe` does not link). The flags are declared here too (one
/// ``ServeOptions``), so help, completions and validation are `probe`'s own; a valid command line
/// then replaces this process with `probe-serve` (same pid, same arguments, same signals and exit
/// statuses).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = ServeOptions.configuration

    @OptionGroup var options: ServeOptions

    func run() async throws {
        // CommandMain hands a parsed ServeCommand to ServeLauncher before running it: reaching
        // here means the exec failed, which ServeLauncher has said.
        throw ExitStatus.unavailable
    }
}

/// Finds `probe-serve` beside this binary and replaces the process with it.
enum ServeLauncher {
    /// The name of the serve binary, installed beside `probe`.
    static let binaryName = "probe-serve"

    /// Where `probe-serve` is looked for: the directory of this process's own executable
    /// (`/proc/self/exe`, symlinks resolved), so an installed `probe` runs its own `probe-serve`
    /// and a build directory's its own, never another one on `PATH`.
    static func binaryPath() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        let executable = String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = executable.lastIndex(of: "/") else { return nil }
        return String(executable[..<slash]) + "/" + binaryName
    }

    /// The arguments after `serve` (the root command takes no options of its own, so `serve` is
    /// the first argument).
    static func serveArguments(_ arguments: [String] = CommandLine.arguments) -> [String] {
        guard let index = arguments.dropFirst().firstIndex(of: "serve") else { return [] }
        return Array(arguments[(index + 1)...])
    }

    /// `execv`s `probe-serve` with the arguments after `serve`; returns only when that fails,
    /// having said why in one line.
    static func replaceProcess() {
        guard let path = binaryPath() else {
            Console.error("serve: cannot find this binary's directory (/proc/self/exe) to run \(binaryName) from")
            exit(ExitStatus.unavailable.rawValue)
        }
        let arguments = [path] + serveArguments()
        // The new image starts with this thread's signal mask: a worker thread may block the
        // signals serve must see (SIGINT, SIGTERM, SIGHUP), so none is blocked across the exec.
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        execv(path, &argv)
        let reason = String(cString: strerror(errno))
        for pointer in argv { free(pointer) }
        Console.error("serve: cannot run \(path): \(reason) (probe serve runs \(binaryName), installed beside probe: "
            + "'scripts/install' puts both in place; in a checkout, 'swift build' builds both)")
        exit(ExitStatus.unavailable.rawValue)
    }
}
