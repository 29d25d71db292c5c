import FoundationEssentials
import Prober
import ProviderFetch
import Ranking
import Synchronization

/// The configuration a long-running client (`probe serve`) works from: the providers file and the
/// targets file as last read successfully, kept in memory and replaced only by ``reload()``.
///
/// Between reloads an edit to either file changes nothing, and a reload that finds a bad file
/// keeps what it had and says why: the service never stops over a typo.
package final class ConfigurationSnapshot: Sendable {
    private struct Files: Sendable {
        var providers: (ProviderConfiguration, String)?
        var targets: (targets: [ProbeTarget], errors: [ReportError]) = ([], [])
        var reloads = 0
    }

    /// The providers file (its path as given), if any.
    package let providersFile: String?
    /// The targets file, if any (`-` is read once: standard input cannot be read again).
    package let targetsFile: String?
    private let files: Mutex<Files>

    /// Reads both files now; throws the one-line reason when either cannot be used.
    package init(providersFile: String?, targetsFile: String?) throws(ProbeClientError) {
        self.providersFile = providersFile
        self.targetsFile = targetsFile
        files = Mutex(Files())
        let first = try Self.read(providersFile: providersFile, targetsFile: targetsFile)
        files.withLock { $0 = first }
    }

    /// The providers configuration and the directory its relative paths are read from.
    package func providers() throws(ProbeClientError) -> (ProviderConfiguration, String) {
        guard let loaded = files.withLock({ $0.providers }) else {
            throw ProbeClientError(.configuration, "no providers file: give one (--config FILE)")
        }
        return loaded
    }

    /// The targets of the targets file and its bad lines.
    package var targets: (targets: [ProbeTarget], errors: [ReportError]) { files.withLock { $0.targets } }

    /// How many reloads have succeeded.
    package var reloads: Int { files.withLock { $0.reloads } }

    /// Reads both files again: on success they replace the ones in use and the result says what
    /// is now in use (one line); on failure nothing changes and the error says why.
    @discardableResult
    package func reload() -> Result<String, ProbeClientError> {
        do {
            var fresh = try Self.read(providersFile: providersFile, targetsFile: targetsFile == "-" ? nil : targetsFile)
            let summary = files.withLock { files -> String in
                if targetsFile == "-" { fresh.targets = files.targets }
                fresh.reloads = files.reloads + 1
                files = fresh
                return Self.summary(files)
            }
            return .success(summary)
        } catch {
            return .failure(error)
        }
    }

    private static func summary(_ files: Files) -> String {
        var parts: [String] = []
        if let (providers, _) = files.providers {
            parts.append("\(providers.providers.count) provider(s)")
            if !providers.labels.isEmpty { parts.append("\(providers.labels.count) label rule(s)") }
        }
        parts.append("\(files.targets.targets.count) target(s) from files")
        if !files.targets.errors.isEmpty { parts.append("\(files.targets.errors.count) bad line(s)") }
        return parts.joined(separator: ", ")
    }

    private static func read(providersFile: String?, targetsFile: String?) throws(ProbeClientError) -> Files {
        var files = Files()
        if let providersFile {
            let loaded = try ProbeClient.loadProviders(path: providersFile)
            _ = try ProbeClient.rankingWeights(RankingWeights(), file: loaded.0.ranking)  // a bad ranking section now, not every round
            files.providers = loaded
        }
        if let targetsFile {
            do {
                files.targets = try TargetList.read(path: targetsFile)
            } catch {
                throw ProbeClientError(.configuration, error.description)
            }
        }
        return files
    }
}
