import FoundationEssentials
import ProbeSystem
import Dispatch
import HandshakeCrypto
package import Prober
import ProviderFetch

/// Which servers a handshake probe can speak to, and which it must leave alone.
package enum HandshakeTargets {
    /// The cryptography every engine of a run is given.
    package static let codec: any HandshakeCodec = CryptoHandshakes()

    /// The VPN service of `server` as its own handshake reaches it, when its material holds the keys.
    package static func service(for server: Server) -> HandshakeService? {
        guard let keys = ServiceKeys.of(server) else { return nil }
        switch keys {
        case .wireguard(let privateKey, let serverPublicKey, let presharedKey, let port):
            guard let port = UInt16(exactly: port), port > 0,
                  let keys = WireGuardKeys(privateKey: privateKey, serverPublicKey: serverPublicKey, presharedKey: presharedKey)
            else { return nil }
            return HandshakeService(port: port, material: .wireguard(keys))
        case .openvpn(let transport, let port, let protection):
            guard let port = UInt16(exactly: port), port > 0 else { return nil }
            let control: OpenVPNControl.Protection
            var refusal: String?
            switch protection {
            case .none: control = .none
            case .tlsAuth(let key, let direction, let digest): control = .tlsAuth(key: key, direction: direction, digest: digest)
            case .tlsCrypt(let key): control = .tlsCrypt(key: key)
            case .tlsCryptV2: control = .tlsCryptV2
            case .unreadable(let reason):
                control = .none
                refusal = "not measurable by its handshake: \(reason)"
            }
            return HandshakeService(port: port, material: .openvpn(OpenVPNControl(transport: transport == "tcp" ? .tcp : .udp, protection: control)),
                                    refusal: refusal)
        }
    }

    /// ``guardLocalInterfaces(_:methods:anyway:local:)`` with this machine's interfaces, read on a
    /// thread of its own (`wg show` is a child process: never a blocking wait on Swift's
    /// cooperative pool), and only when a WireGuard target could be handshaked.
    package static func guardLocalInterfaces(_ targets: inout [ProbeTarget], methods: Set<ProbeKind>, anyway: Bool) async -> String? {
        guard !anyway, methods.contains(.wireguard),
              targets.contains(where: { $0.handshake?.kind == .wireguard && $0.handshake?.refusal == nil })
        else { return nil }
        let reading = await withCheckedContinuation { continuation in
            DetachedThread.start(name: "probe-wg-show") { continuation.resume(returning: LocalWireGuard.read()) }
        }
        return guardLocalInterfaces(&targets, methods: methods, anyway: anyway) { reading }
    }

    /// Marks the WireGuard targets whose private key a local WireGuard interface holds: a
    /// handshake from probe's socket would move the server's idea of that peer's endpoint away
    /// from the live tunnel until it speaks again. Returns a note for the report when any was
    /// left alone (or when the local interfaces' keys could not be read).
    package static func guardLocalInterfaces(_ targets: inout [ProbeTarget], methods: Set<ProbeKind>, anyway: Bool,
                                             local: () -> LocalWireGuard.Reading) -> String? {
        guard !anyway, methods.contains(.wireguard) else { return nil }
        let positions = targets.indices.filter { targets[$0].handshake?.kind == .wireguard && targets[$0].handshake?.refusal == nil }
        guard !positions.isEmpty else { return nil }
        let reading = local()
        var skipped = 0
        for position in positions {
            guard case .wireguard(let keys)? = targets[position].handshake?.material else { continue }
            let reason: String?
            switch reading {
            case .none: reason = nil
            case .keys(let held):
                guard let mine = CryptoHandshakes.publicKey(ofPrivate: keys.privateKey) else { continue }
                reason = held[mine].map {
                    "handshake skipped: local WireGuard interface \($0) holds this private key (a handshake would move the server's "
                        + "endpoint for it away from the tunnel; --handshake-anyway probes anyway)"
                }
            case .unreadable(let why):
                reason = "handshake skipped: \(why) (--handshake-anyway probes anyway)"
            }
            if let reason {
                targets[position].handshake?.refusal = reason
                skipped += 1
            }
        }
        guard skipped > 0 else { return nil }
        return "\(skipped) WireGuard server(s) measured without a handshake: a local WireGuard interface holds their key, or its keys "
            + "could not be read (--handshake-anyway probes anyway)"
    }
}

/// The public keys of this machine's WireGuard interfaces (kernel ones and wireguard-go's), read
/// with `wg show all public-key` only when such an interface exists.
package enum LocalWireGuard {
    /// What was found.
    package enum Reading: Equatable, Sendable {
        /// No WireGuard interface here.
        case none
        /// Each interface's public key, to its name.
        case keys([[UInt8]: String])
        /// Interfaces exist but their keys could not be read (why).
        case unreadable(String)
    }

    /// Reads this machine's interfaces.
    package static func read() -> Reading {
        let names = interfaceNames()
        guard !names.isEmpty else { return .none }
        guard let wg = executable("wg") else {
            return .unreadable("a local WireGuard interface (\(names.sorted().joined(separator: ", "))) is up and `wg` is not installed to read its key")
        }
        // `wg` answers at once: one that hangs is stopped after 2 s; at most 64 KB of output.
        guard let run = ChildProcess.run(wg, ["show", "all", "public-key"], timeoutMilliseconds: 2_000, limit: 65_536), run.status == 0 else {
            return .unreadable("a local WireGuard interface is up and `wg show` could not read its key (it needs root)")
        }
        return .keys(parse(String(decoding: run.output, as: UTF8.self)))
    }

    /// `wg show all public-key` output: `interface<TAB>key` lines.
    package static func parse(_ text: String) -> [[UInt8]: String] {
        var keys: [[UInt8]: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard fields.count >= 2, let key = WireGuardKey.bytes(String(fields[1])) else { continue }
            keys[key] = String(fields[0].prefix(15))
        }
        return keys
    }

    /// Kernel WireGuard interfaces (`DEVTYPE=wireguard`) and wireguard-go's control sockets.
    static func interfaceNames() -> Set<String> {
        var names: Set<String> = []
        let files = FileManager.default
        for name in (try? files.contentsOfDirectory(atPath: "/sys/class/net")) ?? [] {
            guard let uevent = try? String(contentsOfFile: "/sys/class/net/\(name)/uevent", encoding: .utf8) else { continue }
            if uevent.contains("DEVTYPE=wireguard") { names.insert(name) }
        }
        for directory in ["/var/run/wireguard", "/run/wireguard"] {
            for file in (try? files.contentsOfDirectory(atPath: directory)) ?? [] where file.hasSuffix(".sock") {
                names.insert(String(file.dropLast(5)))
            }
        }
        return names
    }

    static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for directory in path.split(separator: ":") + ["/usr/bin", "/usr/sbin", "/sbin"] {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
