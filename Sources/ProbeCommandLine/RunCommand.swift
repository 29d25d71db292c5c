import ArgumentParser
import FoundationEssentials
import Glibc
package import ProbeKit

/// The wiring every command shares: read targets, start the demo if asked, build the client.
package enum RunCommand {
    /// Why there is nothing to probe, in one line: the providers file lists no provider, or lists
    /// only disabled ones (and how to enable one, or to try the demo).
    package static func noTargets(providersFile: String?, providers: Bool) -> String {
        guard providers else { return "no targets: no targets were given" }
        guard let path = providersFile, let configuration = try? ProviderConfiguration.load(path: path), !configuration.providers.isEmpty else {
            return "no targets: the providers file lists no provider, and no targets were given"
        }
        let count = configuration.providers.count
        return "no targets: \(path) lists \(count) provider(s), all disabled: set \"enabled\": true on one and fill in its url and credentials "
            + "(then 'probe config check \(path)'), or try 'probe --best --demo'"
    }

    /// What a command runs with.
    package struct Prepared {
        package var client: ProbeClient
        package var demo: DemoNetwork?
        package var progress: ProgressLine?
        /// A providers file is in use (every provider failing is then "nothing reachable", not bad usage).
        package var providers: Bool
        /// The files as read, when reloadable.
        package var snapshot: ConfigurationSnapshot? { client.snapshot }
    }

    /// Targets, providers, demo and options turned into a ``ProbeClient``; bad flags and unreadable
    /// files are one-line usage errors.
    ///
    /// `reloadable`: the providers and targets files are read once into a snapshot that only
    /// ``ConfigurationSnapshot/reload()`` replaces (`probe serve`'s SIGHUP and `POST /-/reload`).
    package static func prepare(input: TargetInput, probing: ProbingOptions, ranking: RankingOptions, quiet: Bool, reloadable: Bool = false) throws -> Prepared {
        let explicit = !input.targets.isEmpty || input.targetsFile != nil || input.demo
        let providersFile = input.providers.path(useDefault: !explicit)
        let sources = input.providers.sources
        // The files are read once, here, into the snapshot the client works from: a bad file is a
        // one-line error now, not once per round, and a run parses its providers file once.
        // Reloadable (`probe serve`): the targets file too, so that a reload replaces both; a
        // one-shot run reads its targets file with its arguments.
        var snapshot: ConfigurationSnapshot?
        if reloadable || providersFile != nil {
            do {
                snapshot = try ConfigurationSnapshot(providersFile: providersFile, targetsFile: reloadable ? input.targetsFile : nil)
            } catch {
                throw ValidationError(error.message)
            }
        }
        let (targets, errors) = try reloadable ? input.loadArguments() : input.load()
        let fromFiles = snapshot?.targets ?? (targets: [], errors: [])
        let weights = ranking.weights
        if providersFile != nil, let snapshot {
            // The file's `ranking` section over these flags' weights (ProbeClient applies it).
            do {
                _ = try ProbeClient.rankingWeights(weights, file: try snapshot.providers().0.ranking)
            } catch {
                throw ValidationError(error.message)
            }
        }
        var servers: [Server] = []
        var demo: DemoNetwork?
        // Nothing configured at all (no target, no targets file, no providers file): the built-in
        // default is the demo, so `probe --best` on a fresh machine shows the main job.
        let nothingConfigured = !explicit && providersFile == nil && input.providers.config == nil && sources.isEmpty
        if nothingConfigured {
            Console.note("probe: nothing configured (no TARGET, --targets FILE or --config FILE, and no "
                + "\(ProviderConfiguration.defaultPath() ?? "~/.config/probe/config.json")): probing the built-in demo", quiet: quiet)
        }
        if input.demo || nothingConfigured {
            do {
                let network = try DemoNetwork()
                demo = network
                servers = network.servers
                Console.note(
                    "demo: \(network.servers.count) servers of 4 sample providers on \(network.targets.count) loopback listeners "
                        + "(\(network.openCount) open, \(network.closedCount) closed); nothing leaves this machine",
                    quiet: quiet)
            } catch {
                throw ValidationError("cannot start the demo listeners: \(error)")
            }
        }
        guard !targets.isEmpty || !fromFiles.targets.isEmpty || !servers.isEmpty || providersFile != nil || !sources.isEmpty || !errors.isEmpty || !fromFiles.errors.isEmpty else {
            throw ValidationError("no targets: give TARGET..., --targets FILE, --config FILE, or --demo (try 'probe --best --demo')")
        }
        let progress = ProgressLine.make(quiet: quiet)
        let configuration = ProbeClient.Configuration(
            providersFile: providersFile, sources: sources,
            probing: probing.configuration(ranking: weights, filter: ranking.filter),
            stateFile: demo != nil ? ranking.demoStatePath : ranking.statePath, sticky: ranking.stickyPolicy)
        var report: (@Sendable (ProbeProgress) -> Void)?
        if let progress { report = { progress.update($0) } }
        var client = ProbeClient(configuration: configuration, targets: targets, servers: servers, inputErrors: errors, progress: report)
        client.snapshot = snapshot
        client.demo = demo != nil && providersFile == nil && sources.isEmpty
        return Prepared(client: client, demo: demo, progress: progress, providers: providersFile != nil || !sources.isEmpty)
    }
}
