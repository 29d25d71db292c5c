import ArgumentParser
import Foundation
import NetSim

/// `netsim`: a simulated network with real delays, jitter, loss and port states, for tests and benchmarks.
/// Synchronous on purpose: the namespace is set up on the main thread, which spawns the command.
@main
struct NetsimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "netsim",
        abstract: "A simulated network (TUN device in a private network namespace) for tests and benchmarks.",
        discussion: """
            netsim run WORLD.json -- CMD [ARGS...]   run CMD where 198.18.0.0/15 and 2001:db8::/32 are the world
            netsim gen N [--seed S] [--v6 K]         print a reproducible world of N hosts

            Needs root and /dev/net/tun; without them it says so in one line and exits 77.
            """,
        subcommands: [Run.self, Gen.self]
    )
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a command inside the simulated network.")

    @Argument(help: "The world file (JSON).")
    var world: String

    @Option(help: ArgumentHelp("Write netsim's figures (packets served, lateness) as JSON to FILE.", valueName: "FILE"))
    var stats: String?

    @Option(help: ArgumentHelp("Write the arrival time (monotonic ns) of every TCP SYN and echo request to FILE, one per line.", valueName: "FILE"))
    var arrivals: String?

    @Option(help: "Seed for loss and jitter.")
    var seed: UInt64 = 1

    @Flag(help: "No summary line on stderr at exit.")
    var quiet = false

    @Argument(parsing: .postTerminator, help: "The command to run, after '--'.")
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the command to run after '--'") }
    }

    func run() throws {
        let loaded: World
        do {
            loaded = try World.load(path: world)
        } catch {
            FileHandle.standardError.write(Data("netsim: \(error.description)\n".utf8))
            throw ExitCode(65)
        }
        var options = NetSimulator.Options()
        options.seed = seed
        options.statsPath = stats
        options.arrivalsPath = arrivals
        options.worldPath = world
        options.printSummary = !quiet
        throw ExitCode(NetSimulator.run(world: loaded, command: command, options: options))
    }
}

struct Gen: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a reproducible world of N hosts.")

    @Argument(help: "How many hosts (1-100000).")
    var count: Int

    @Option(help: "Seed: the same seed gives the same world.")
    var seed: UInt64 = 1

    @Option(name: .customLong("v6"), help: "How many of the hosts have IPv6 addresses.")
    var v6 = 0

    @Option(name: .customLong("min-ms"), help: "Lowest RTT in ms.")
    var minMs = 2.0

    @Option(name: .customLong("max-ms"), help: "Highest RTT in ms.")
    var maxMs = 300.0

    @Option(name: .customLong("best-ms"), help: "The fastest host's RTT in ms (default: the lowest drawn).")
    var bestMs: Double?

    func validate() throws {
        guard (1...100_000).contains(count) else { throw ValidationError("N must be between 1 and 100000") }
        guard (0...count).contains(v6) else { throw ValidationError("--v6 must be between 0 and N") }
        guard minMs > 0, maxMs > minMs, maxMs <= 60_000 else { throw ValidationError("--min-ms and --max-ms must satisfy 0 < min < max <= 60000") }
        if let bestMs, !(bestMs > 0 && bestMs <= maxMs) { throw ValidationError("--best-ms must be above 0 and at most --max-ms") }
    }

    func run() throws {
        let world = WorldGenerator.generate(count: count, seed: seed, ipv6: v6, rtt: minMs...maxMs, bestMs: bestMs)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var text = "{\"hosts\": [\n"
        for (index, host) in world.hosts.enumerated() {
            text += "  " + String(decoding: try encoder.encode(host), as: UTF8.self) + (index + 1 < world.hosts.count ? ",\n" : "\n")
        }
        text += "]}\n"
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
