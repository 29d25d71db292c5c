import Prober
import ProviderFetch

/// The built-in demo: a handful of listeners on loopback addresses, some ports open, some
/// closed, probed with the real engine. No setup, no network.
package final class DemoNetwork: Sendable {
    /// The demo's targets, open ones first.
    package let targets: [ProbeTarget]
    /// The same listeners as four providers (XMPlus, VPNScript, NetMimic, xpay JSON) list them,
    /// decoded from sample answers by the real decoders.
    package let servers: [Server]
    /// How many ports are open and how many closed.
    package let openCount: Int
    /// Closed ports.
    package let closedCount: Int
    private let listeners: [LoopbackListener]

    /// Starts the listeners. IPv6 `::1` is included when the machine has it.
    package init() throws {
        var listeners: [LoopbackListener] = []
        for host in ["127.0.0.1", "127.0.0.2", "127.0.0.3"] {
            listeners.append(try LoopbackListener(kind: .open, host: host))
        }
        if let v6 = try? LoopbackListener(kind: .open, host: "::1") { listeners.append(v6) }
        for host in ["127.0.0.4", "127.0.0.5"] {
            listeners.append(try LoopbackListener(kind: .closed, host: host))
        }
        self.listeners = listeners
        openCount = listeners.filter { $0.kind == .open }.count
        closedCount = listeners.count - openCount
        targets = listeners.map { ProbeTarget(host: $0.address.host, port: $0.address.port) }
        let open = listeners.filter { $0.kind == .open }.map(\.address)
        let closed = listeners.filter { $0.kind == .closed }.map(\.address)
        // Without IPv6 the second XMPlus server takes an IPv4 listener's place.
        servers = DemoProviders.servers(open: open.count >= 4 ? [open[0], open[3], open[1], open[2]] : open + open, closed: closed)
    }

    /// Closes every listener.
    package func stop() {
        for listener in listeners { listener.close() }
    }
}
