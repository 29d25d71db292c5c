import ProviderFetch
import FoundationEssentials
package import Ranking
#if canImport(Glibc)
import Glibc
#endif

/// The sticky choice kept between runs: `$XDG_STATE_HOME/probe/state.json`, else
/// `~/.local/state/probe/state.json`, or a file given with `--state`.
package struct StateStore: Sendable {
    /// The file.
    package var path: String

    /// A store at `path`.
    package init(path: String) { self.path = path }

    /// The default file, when a home or XDG_STATE_HOME is known.
    package static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let xdg = environment["XDG_STATE_HOME"], !xdg.isEmpty { return xdg + "/probe/state.json" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.local/state/probe/state.json" }
        return nil
    }

    /// The saved state; a missing file is a fresh state, a corrupt one too, with a warning to show.
    package func load() -> (state: StickyState, warning: String?) {
        guard let data = FileManager.default.contents(atPath: path) else { return (StickyState(), nil) }
        do {
            return (try JSONDecoder().decode(StickyState.self, from: data), nil)
        } catch {
            return (StickyState(), "state file \(path) is corrupt; starting afresh (it will be replaced)")
        }
    }

    /// Writes the state atomically (a new file, then rename). Returns a warning when it cannot.
    @discardableResult
    package func save(_ state: StickyState) -> String? {
        update { $0 = state }
    }

    /// Applies `change` to the state as the file holds it now and writes the result, under an
    /// advisory lock: when another probe process saved since this one loaded, its update is kept
    /// and this one is applied on top. Returns a warning when the file cannot be written.
    @discardableResult
    package func update(_ change: (inout StickyState) -> Void) -> String? {
        do {
            try AtomicFile.update(path, mode: 0o600) { existing throws(AtomicFile.WriteError) -> Data in
                var state = existing.flatMap { try? JSONDecoder().decode(StickyState.self, from: $0) } ?? StickyState()
                change(&state)
                // probe's own streaming writer (the one the reports use), not Foundation's encoder.
                var bytes: [UInt8] = []
                do { try StreamingJSONEncoder().encode(state, into: &bytes) } catch { throw AtomicFile.WriteError(description: "cannot encode the state") }
                return Data(bytes)
            }
            return nil
        } catch {
            return "cannot write state file \(path): \(error)"
        }
    }
}
