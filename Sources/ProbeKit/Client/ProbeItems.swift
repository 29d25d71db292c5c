import Prober
import ProviderFetch

/// Every target of a run with the provider's server it came from (`nil` for an explicit target),
/// by index: built once and carried through probe, rank and report, so no step re-attaches a
/// server to its result by position arithmetic.
struct ProbeItems: Sendable {
    /// The targets, explicit ones first, in the order probed.
    let targets: [ProbeTarget]
    /// The server behind each target, `nil` for explicit targets.
    let servers: [Server?]

    /// Explicit targets, then the probe target of each server.
    init(explicit: [ProbeTarget], servers: [Server]) {
        targets = explicit + servers.map(ProbeSession.target)
        self.servers = Array(repeating: nil, count: explicit.count) + servers.map { Optional($0) }
    }

    /// The server behind target `index`, if it came from a provider.
    func server(at index: Int) -> Server? { servers.indices.contains(index) ? servers[index] : nil }

    var count: Int { targets.count }
}
