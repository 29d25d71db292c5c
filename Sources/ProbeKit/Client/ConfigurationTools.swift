import FoundationEssentials
import SafeText
import ProviderFetch

/// `probe config init` and `probe config check`: the configuration file written and checked.
package enum ConfigurationTools {
    /// Where the configuration is looked for when none is given (`$XDG_CONFIG_HOME/probe/config.json`).
    package static var defaultPath: String? { ProviderConfiguration.defaultPath() }

    /// The commented example `init` writes.
    package static var example: String { ConfigurationCheck.example }

    /// Writes the example to `path` (its directory made 0700 when missing, the file 0600, atomically);
    /// an existing file is kept unless `replace`. Throws the one-line reason.
    package static func writeExample(to path: String, replace: Bool) throws(ProbeClientError) {
        if !replace, FileManager.default.fileExists(atPath: path) {
            throw ProbeClientError(.configuration, "\(path) exists; 'probe config check \(path)' checks it, --force replaces it")
        }
        let directory = path.deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw ProbeClientError(.configuration, "cannot create \(directory): \(error)")
            }
        }
        do throws(AtomicFile.WriteError) {
            try AtomicFile.write(Data(example.utf8), to: path, mode: 0o600)
        } catch {
            throw ProbeClientError(.configuration, "cannot write \(path): \(error.description)")
        }
    }

    /// Every problem of the file at `path`, one line each (none: it is fine), and what it holds.
    package static func check(path: String) -> (problems: [String], summary: String) {
        ConfigurationCheck.check(path: path)
    }
}
