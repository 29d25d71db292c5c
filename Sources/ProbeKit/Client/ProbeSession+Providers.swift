import Prober
package import ProviderFetch
import Ranking

/// The providers' side of a session: their servers fetched, and each made a probe target.
extension ProbeSession {
    /// The probe target of a provider's server: its host and port; without a known port it is
    /// pinged only (or, with `--method tcp`, knocked on at 443). A UDP service (WireGuard, OpenVPN
    /// over UDP, hysteria2, tuic) is never TCP-knocked at its UDP port: its own handshake measures
    /// it where its keys are known, else ICMP measures its host.
    package static func target(_ server: Server) -> ProbeTarget {
        let port = BundleEntry.isUDP(protocol: server.protocol, transport: server.transport) ? nil : server.port.flatMap { UInt16(exactly: $0) }
        let service = HandshakeTargets.service(for: server)
        // A service its handshake can reach is named by its own port, whichever method runs.
        let text = service.map { ProbeTarget(host: server.host, port: $0.port).text }
        var target = ProbeTarget(host: server.host, port: port ?? ProbeTarget.defaultPort, text: text, portKnown: port != nil)
        target.handshake = service
        return target
    }

    /// Fetches every configured provider at once. Servers of providers whose account is
    /// expired, suspended or out of traffic are left out, with that reason among the errors.
    package static func fetch(
        _ providers: ProviderConfiguration, cache: TokenCache, baseDirectory: String, progress: (@Sendable (ProbeProgress) -> Void)? = nil
    ) async -> (servers: [Server], outcomes: [ProviderOutcome], errors: [ReportError]) {
        let deadline = (providers.providers.map(\.timeoutSeconds).max() ?? 10) * Double(HTTPClient.maximumRetries + 1) + 5
        let fetcher = ProviderFetcher(configuration: providers, cache: cache, baseDirectory: baseDirectory)
        let outcomes = await fetcher.fetchAll(deadline: .milliseconds(Int64(deadline * 1_000))) { done, total in
            progress?(ProbeProgress(phase: .fetching, done: done, total: total))
        }
        var servers: [Server] = []
        var errors: [ReportError] = []
        for outcome in outcomes {
            if let failure = outcome.failure {
                // The source names the provider: the reason alone.
                errors.append(ReportError(source: outcome.provider, message: failure.reason))
            } else if let reason = outcome.exclusion {
                errors.append(ReportError(source: outcome.provider, message: "left out: \(reason)"))
            } else {
                servers += outcome.servers
                errors += outcome.problems.map { ReportError(source: outcome.provider, message: $0) }
            }
        }
        return (servers, outcomes, errors)
    }
}
