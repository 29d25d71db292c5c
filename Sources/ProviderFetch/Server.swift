/// A server in the normalised shape every provider is turned into (`probe servers --json` prints these).
///
/// Fetching providers (XMPlus, VPNScript, NetMimic, generic JSON, static lists) fills this shape;
/// explicit targets need none of it.
public struct Server: Hashable, Sendable, Codable {
    /// The provider's configured name.
    public var provider: String
    /// An identity stable across runs.
    public var id: String
    /// A display name.
    public var name: String
    /// Country (name or ISO code, as the provider gives it).
    public var country: String?
    /// City.
    public var city: String?
    /// Host name or address to probe.
    public var host: String
    /// Port to probe, when known.
    public var port: Int?
    /// Protocol (`wireguard`, `openvpn`, `vmess`, ...).
    public var `protocol`: String?
    /// Transport (`tcp`, `udp`, `ws`, `grpc`, ...).
    public var transport: String?
    /// Free WireGuard slots.
    public var wgAvailableSlots: Int?
    /// All WireGuard slots.
    public var wgSlots: Int?
    /// Load, as the provider reports it.
    public var load: Double?
    /// What ``load`` is: `count` (connections, no capacity), `utilisation` (0...1) or `percent`;
    /// from the field it came from (`active_connections` is a count, `load` a utilisation) or the
    /// provider's `loadKind` setting.
    public var loadKind: String?
    /// The country as the provider names it (`Germany`), when ``country`` holds its ISO code.
    public var countryName: String?
    /// A URL meant for pinging, when the provider gives one.
    public var pingURL: String?
    /// The provider's own identifier of the server, which its connection endpoints take
    /// (VPNScript and NetMimic `id`); `nil` where the provider has none (XMPlus).
    public var providerID: String?
    /// The connection fields the list carried (XMPlus), in memory only: never encoded or shown.
    public var secrets: ServerSecrets = .none

    /// A server.
    public init(
        provider: String, id: String, name: String, country: String? = nil, city: String? = nil, host: String,
        port: Int? = nil, protocol: String? = nil, transport: String? = nil, wgAvailableSlots: Int? = nil,
        wgSlots: Int? = nil, load: Double? = nil, pingURL: String? = nil, providerID: String? = nil, secrets: ServerSecrets = .none,
        loadKind: String? = nil
    ) {
        self.provider = provider
        self.id = id
        self.name = name
        let normalised = country.flatMap(CountryCode.normalise)
        self.country = normalised?.code ?? country
        self.countryName = normalised?.name
        self.city = city
        self.host = host
        self.port = port
        self.protocol = `protocol`
        self.transport = transport
        self.wgAvailableSlots = wgAvailableSlots
        self.wgSlots = wgSlots
        self.load = load
        self.pingURL = pingURL
        self.providerID = providerID
        self.secrets = secrets
        self.loadKind = load == nil ? nil : loadKind
    }

    enum CodingKeys: String, CodingKey {
        case provider, id, name, country, city, host, port, `protocol`, transport
        case wgAvailableSlots = "wg_available_slots"
        case wgSlots = "wg_slots"
        case countryName = "country_name"
        case load
        case loadKind = "load_kind"
        case pingURL = "ping_url"
        case providerID = "provider_id"
    }
}
