import FoundationEssentials
public import ProviderFetch

/// What a client needs to connect to one server: the manifest (`connection.json`, the
/// `connection` of a `--json` report) and, in memory, the material itself.
///
/// The material (profiles, credentials, private keys, share URIs, access keys) is secret: it is
/// not encoded with the manifest, and ``description`` names files, never their contents. It is
/// written only by ``ProbeClient/write(_:to:)`` (files 0600 in a 0700 directory) or ``inlineManifest()`` (for
/// `--connect -`, the one case where the user asked for it on stdout).
public struct Connection: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The provider's configured name.
    public var provider: String
    /// The server, normalised (as `probe servers --json` prints it).
    public var server: Server
    /// `openvpn`, `wireguard`, `vmess`, `vless`, `trojan`, `shadowsocks`, `key`, ...
    public var `protocol`: String
    /// Where the client connects.
    public var host: String
    /// The service's port, when known.
    public var port: Int?
    /// `udp`, `tcp`, or a proxy transport, when known.
    public var transport: String?
    /// Kind (`openvpn`, `openvpn_auth`, `wireguard`, `uri`, `sing-box`, `xray`, `key`) to file name.
    public var files: [String: String]
    /// What probe created on the provider's side and ``ProbeClient/release(_:)`` gives back.
    public var created: [String: Int]
    /// When the material was fetched (UTC, ISO 8601).
    public var fetchedAt: String
    /// Why this is not the best server's connection, when the best one's could not be had.
    public var fallbackReason: String?
    /// What was adapted (an OpenVPN option commented out, a type with only a URI), one line each.
    public var notes: [String]
    /// The material, in memory only (never encoded, never printed by ``description``).
    public var material: [MaterialFile]

    /// The manifest's file name inside a connection directory.
    public static let manifestName = "connection.json"

    /// A connection from a provider's material for `server`.
    package init(provider: String, server: Server, material: ConnectionMaterial, fetchedAt: String, fallbackReason: String? = nil) {
        self.provider = provider
        self.server = server
        self.protocol = material.protocol
        self.host = material.host
        self.port = material.port
        self.transport = material.transport
        self.files = Dictionary(material.files.map { ($0.kind, $0.name) }, uniquingKeysWith: { first, _ in first })
        self.created = material.created
        self.fetchedAt = fetchedAt
        self.fallbackReason = fallbackReason
        self.notes = material.notes
        self.material = material.files
    }

    enum CodingKeys: String, CodingKey {
        case provider, server, `protocol`, host, port, transport, files, created
        case fetchedAt = "fetched_at", fallbackReason = "fallback_reason", notes
    }

    /// Reads a manifest (the material stays empty: it lives in the directory's files).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        provider = try container.decode(String.self, forKey: .provider)
        server = try container.decode(Server.self, forKey: .server)
        self.protocol = try container.decode(String.self, forKey: .protocol)
        host = try container.decode(String.self, forKey: .host)
        port = try container.decodeIfPresent(Int.self, forKey: .port)
        transport = try container.decodeIfPresent(String.self, forKey: .transport)
        files = try container.decodeIfPresent([String: String].self, forKey: .files) ?? [:]
        created = try container.decodeIfPresent([String: Int].self, forKey: .created) ?? [:]
        fetchedAt = try container.decodeIfPresent(String.self, forKey: .fetchedAt) ?? ""
        fallbackReason = try container.decodeIfPresent(String.self, forKey: .fallbackReason)
        notes = try container.decodeIfPresent([String].self, forKey: .notes) ?? []
        material = []
    }

    /// Every key is written (`null` included), so scripts can rely on them.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(provider, forKey: .provider)
        try container.encode(server, forKey: .server)
        try container.encode(self.protocol, forKey: .protocol)
        try container.encode(host, forKey: .host)
        try container.encode(port, forKey: .port)
        try container.encode(transport, forKey: .transport)
        try container.encode(files, forKey: .files)
        try container.encode(created, forKey: .created)
        try container.encode(fetchedAt, forKey: .fetchedAt)
        try container.encode(fallbackReason, forKey: .fallbackReason)
        try container.encode(notes, forKey: .notes)
    }

    /// `protocol host:port (provider, files)`: never the material.
    public var description: String {
        "\(self.protocol) \(endpoint) (\(provider); \(files.keys.sorted().joined(separator: ", ")))"
    }

    /// `host:port` (`[v6]:port`), or the host alone when the port is not known.
    public var endpoint: String {
        guard let port else { return host }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// The manifest as JSON text (keys sorted, two-space indent), no material.
    public func manifestJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// The manifest with the material inline under `material` (kind to contents): what
    /// `--connect -` prints, because the user asked for the secrets on stdout.
    public func inlineManifest() -> String {
        var object = (try? JSONValue.parse(Data(manifestJSON().utf8))) ?? .object([:])
        if case .object(var members) = object {
            members["material"] = .object(Dictionary(material.map { ($0.kind, JSONValue.string($0.contents)) }, uniquingKeysWith: { first, _ in first }))
            object = .object(members)
        }
        return object.text()
    }
}
