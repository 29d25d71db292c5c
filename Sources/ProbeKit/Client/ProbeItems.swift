import Prober
import ProviderFetch
import Ranking

/// Every target of a run with the provider's server it came from (`nil` for an explicit target),
/// by index: built once and carried through probe, rank and report, so no step re-attaches a
/// server to its result by position arithmetic.
struct ProbeItems: Sendable {
    /// The targets, explicit ones first, in the order probed.
    let targets: [ProbeTarget]
    /// The server behind each target, `nil` for explicit targets.
    let servers: [Server?]
    /// Each target's ranking input, built once: its server's figures (provider, country, protocol,
    /// slots, load), no measurement yet. The early answer's plan reads them as they are; the
    /// ranking adds each result's figures (``candidate(at:with:)``).
    let candidates: [Candidate]

    /// Explicit targets, then the probe target of each server. With `--family both`, a target
    /// given by name becomes two: one probed at its IPv4 address, one at its IPv6 address, ranked
    /// as separate entries (with the same server behind both).
    init(explicit: [ProbeTarget], servers: [Server], family: AddressFamilyChoice = .any) {
        var targets = explicit + servers.map(ProbeSession.target)
        var behind = Array(repeating: nil, count: explicit.count) + servers.map { Optional($0) }
        if family == .both {
            var twins: [ProbeTarget] = []
            var twinServers: [Server?] = []
            for (target, server) in zip(targets, behind) {
                guard SocketAddress(numericHost: target.host, port: target.port) == nil else {
                    twins.append(target)
                    twinServers.append(server)
                    continue
                }
                for one in [SocketAddress.Family.inet, .inet6] {
                    var twin = target
                    twin.family = one
                    twins.append(twin)
                    twinServers.append(server)
                }
            }
            targets = twins
            behind = twinServers
        }
        self.targets = targets
        self.servers = behind
        candidates = zip(targets, behind).map { target, server in
            ProbeSession.candidate(id: target.text, status: .up, median: 0, server: server, names: [target.text, target.host])
        }
    }

    /// Target `index`'s candidate with a result's figures: its identity (the address probed),
    /// how it answered, its RTT figures and loss.
    func candidate(at index: Int, with figures: ResultFigures) -> Candidate {
        let result = figures.result
        var candidate = candidates.indices.contains(index) ? candidates[index]
            : ProbeSession.candidate(id: result.target.text, status: .up, median: 0, server: nil, names: [result.target.text, result.target.host])
        switch figures.state {
        case .open, .alive: candidate.status = .up
        case .refused: candidate.status = .closed
        default: candidate.status = .down
        }
        candidate.id = figures.addressText.map { ProbeSession.candidateID(address: $0, result: result) } ?? result.target.text
        candidate.medianMilliseconds = figures.rtt?.median
        candidate.p90Milliseconds = figures.rtt?.p90
        candidate.jitterMilliseconds = figures.rtt?.jitter
        candidate.loss = figures.loss
        return candidate
    }

    /// The server behind target `index`, if it came from a provider.
    func server(at index: Int) -> Server? { servers.indices.contains(index) ? servers[index] : nil }

    var count: Int { targets.count }
}
