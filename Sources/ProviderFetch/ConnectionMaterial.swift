/// What a client needs to connect to one server, as its provider hands it over: the files
/// (profile, credentials, configuration, share URI, key), where the client connects, and what
/// was created on the provider's side for it (to give back on release).
///
/// Every file's contents are secret: ``MaterialFile`` never prints them.
package struct ConnectionMaterial: Sendable {
    /// `openvpn`, `wireguard`, `vmess`, `vless`, `trojan`, `shadowsocks`, `key`, ...
    package var `protocol`: String
    /// Where the client connects (the service's host, which may differ from the probed one).
    package var host: String
    /// The service's port, when known.
    package var port: Int?
    /// `udp` or `tcp` (or a proxy transport: `ws`, `grpc`, ...), when known.
    package var transport: String?
    /// The files, in the order they are written.
    package var files: [MaterialFile]
    /// What probe created on the provider's side and must release (`wireguard_config_id`).
    package var created: [String: Int]
    /// What was adapted or left out, one line each (never a secret).
    package var notes: [String]
    /// The user's own file (a `files` source): handed over as it is, script hooks included.
    package var userOwned = false

    /// Material.
    package init(
        protocol: String, host: String, port: Int? = nil, transport: String? = nil, files: [MaterialFile],
        created: [String: Int] = [:], notes: [String] = []
    ) {
        self.protocol = `protocol`
        self.host = host
        self.port = port
        self.transport = transport
        self.files = files
        self.created = created
        self.notes = notes
    }
}

/// One file of connection material: its kind (`openvpn`, `openvpn_auth`, `wireguard`, `uri`,
/// `sing-box`, `xray`, `key`), its name inside the connection's directory, and its contents,
/// which are secret: `description` and reflection show the kind, name and size only.
public struct MaterialFile: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The kind (the key in the manifest's `files`).
    public var kind: String
    /// The file name inside the directory.
    public var name: String
    /// The contents (secret).
    public var contents: String

    /// A file of material.
    public init(kind: String, name: String, contents: String) {
        self.kind = kind
        self.name = name
        self.contents = contents
    }

    /// `kind (name, N bytes)`: never the contents.
    public var description: String { "\(kind) (\(name), \(contents.utf8.count) bytes)" }
    /// As ``description``.
    public var debugDescription: String { description }
    /// No children: the contents stay out of `dump` and reflection.
    public var customMirror: Mirror { Mirror(self, children: ["kind": kind, "name": name]) }
}
