import Prober
import ProviderFetch
import Ranking

/// Every target of a run with the provider's server it came from (`nil` for an explicit target),
/// by index: built once and carried through probe, rank and report, so no step re-attaches a
/// server to its result by position arithmetic.
struct ProbeItems: Sendable {
    /// The targets, explicit ones first, in the order probed.
    let targets: [ProbeTarget]
    /// The provider's servers, and which of them is behind each target (-1 for an explicit
    /// target): four bytes per target, not a `Server?` slot each.
    private let providerServers: [Server]
    private let serverIndex: [Int32]
    /// Each target's ranking input: its server's figures (provider, country, protocol, slots,
    /// load), no measurement yet. Made when asked (the early answer's plan reads them all once;
    /// the ranking adds each result's figures, ``candidate(at:with:)``), not kept for the whole
    /// run: a 10,000-target run would hold 2.5 MB of them.
    var candidates: [Candidate] { targets.indices.map(baseCandidate) }

    /// Target `index`'s candidate before any measurement.
    func baseCandidate(_ index: Int) -> Candidate {
        let target = targets[index]
        return ProbeSession.candidate(id: target.text, status: .up, median: 0, server: server(at: index), names: matchesNames ? [target.text, target.host] : [])
    }

    /// Explicit targets, then the probe target of each server. With `--family both`, a target
    /// given by name becomes two: one probed at its IPv4 address, one at its IPv6 address, ranked
    /// as separate entries (with the same server behind both).
    /// Whether candidates carry the names `--exclude` patterns match (target, host, server name and
    /// id): only when there are patterns, else each candidate would hold an array for nothing.
    let matchesNames: Bool

    init(explicit: [ProbeTarget], servers: [Server], family: AddressFamilyChoice = .any, matchesNames: Bool = true) {
        self.matchesNames = matchesNames
        var targets = servers.isEmpty ? explicit : explicit + servers.map(ProbeSession.target)
        var behind = Array(repeating: Int32(-1), count: explicit.count) + servers.indices.map { Int32($0) }
        if family == .both {
            var twins: [ProbeTarget] = []
            var twinServers: [Int32] = []
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
        providerServers = servers
        serverIndex = behind
    }

    /// Target `index`'s candidate with a result's figures: its identity (the address probed),
    /// how it answered, its RTT figures and loss.
    func candidate(at index: Int, with figures: ResultFigures) -> Candidate {
        let result = figures.result
        var candidate = targets.indices.contains(index) ? baseCandidate(index)
            : ProbeSession.candidate(id: result.target.text, status: .up, median: 0, server: nil, names: matchesNames ? [result.target.text, result.target.host] : [])
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
    func server(at index: Int) -> Server? {
        guard serverIndex.indices.contains(index), serverIndex[index] >= 0 else { return nil }
        return providerServers[Int(serverIndex[index])]
    }

    var count: Int { targets.count }
}
