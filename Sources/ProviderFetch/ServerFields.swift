/// Which keys of a provider's server object hold each normalised field, tried in order.
/// Providers that document nothing get the usual spellings; configuration can override any.
package struct ServerFields: Hashable, Sendable, Codable {
    /// Keys for the host (name or address).
    package var host: [String]
    /// Keys for the port.
    package var port: [String]
    /// Keys for the display name.
    package var name: [String]
    /// Keys for the country.
    package var country: [String]
    /// Keys for the city.
    package var city: [String]
    /// Keys for the protocol.
    package var `protocol`: [String]
    /// Keys for the load (active connections or a 0..1 figure).
    package var load: [String]
    /// Keys for free WireGuard slots.
    package var wgAvailableSlots: [String]
    /// Keys for all WireGuard slots.
    package var wgSlots: [String]
    /// Keys for the provider's own id.
    package var id: [String]
    /// Keys for a URL meant for pinging.
    package var pingURL: [String]
    /// Keys for the transport.
    package var transport: [String]
    /// What the load figure is (`count`, `utilisation`, `percent`), when configured; else from its key.
    package var loadKind: String? = nil

    /// Load keys that hold a count of connections or users (no capacity).
    static let countKeys: Set<String> = ["active_connections", "connections", "online", "users", "clients", "sessions", "peers"]

    /// The kind of a load figure found under `key`: configured, else a count for the count keys
    /// and a utilisation (0...1, or percent when the provider's values exceed 1) for the rest.
    package func loadKind(forKey key: String?) -> String? {
        if let loadKind { return loadKind }
        guard let key else { return nil }
        return Self.countKeys.contains(key.lowercased()) ? "count" : "utilisation"
    }

    /// The usual spellings.
    package static let lenient = ServerFields(
        host: ["host", "hostname", "ip", "ipaddr", "ip_address", "address", "server", "domain"],
        port: ["port", "server_port"], name: ["name", "label", "title", "remark", "remarks"],
        country: ["country", "country_code", "country_iso_code", "region"], city: ["city", "state", "location"],
        protocol: ["protocol", "type"], load: ["load", "active_connections", "connections", "online", "users"],
        wgAvailableSlots: ["wg_available_slots", "available_slots"], wgSlots: ["wg_slots", "slots"],
        id: ["id", "server_id", "uuid"], pingURL: ["ping_url", "api_url", "url"], transport: ["transport", "network", "net"])

    /// Field lists, each replaced by the configured key when one is given.
    package func overridden(by keys: [String: String]) -> ServerFields {
        var copy = self
        for (field, key) in keys {
            switch field {
            case "host": copy.host = [key]
            case "port": copy.port = [key]
            case "name": copy.name = [key]
            case "country": copy.country = [key]
            case "city": copy.city = [key]
            case "protocol": copy.protocol = [key]
            case "load": copy.load = [key]
            case "wg_available_slots", "wgAvailableSlots": copy.wgAvailableSlots = [key]
            case "wg_slots", "wgSlots": copy.wgSlots = [key]
            case "id": copy.id = [key]
            case "ping_url", "pingURL", "api_url": copy.pingURL = [key]
            case "transport": copy.transport = [key]
            default: break
            }
        }
        return copy
    }

    /// The servers of a list's entries; entries that cannot be servers are skipped, each a line in `problems`.
    package func servers(from items: [JSONValue], provider: String, problems: ServerProblems? = nil) -> [Server] {
        let problems = problems ?? ServerProblems()
        defer { problems.offset += items.count }
        return items.enumerated().compactMap { index, item in
            guard problems.admit(item, index: index, host: host, port: port, numbers: load + wgAvailableSlots + wgSlots) else { return nil }
            guard let server = server(from: item, provider: provider) else {
                problems.noHost(index: index, keys: host + pingURL)
                return nil
            }
            return server
        }
    }

    /// Builds a server from one object; `nil` when it names no host (nor a ping URL with one).
    package func server(from object: JSONValue, provider: String) -> Server? {
        let pingURL = object.first(self.pingURL)?.string
        let pingParts = pingURL.flatMap(Self.hostAndPort(ofURL:))
        guard let host = object.first(self.host)?.string.flatMap(Self.bareHost) ?? pingParts?.host else { return nil }
        let port = object.first(self.port).flatMap(Self.port) ?? (object.first(self.host)?.string == nil ? pingParts?.port : nil)
        let ownID = object.first(id)?.string
        return Server(
            provider: provider, id: "\(provider):\(ownID ?? "\(host):\(port.map(String.init) ?? "-")")",
            name: object.first(name)?.string ?? host, country: object.first(country)?.string,
            city: object.first(city)?.string, host: host, port: port, protocol: object.first(self.protocol)?.string?.lowercased(),
            transport: object.first(transport)?.string?.lowercased(), wgAvailableSlots: object.first(wgAvailableSlots)?.int,
            wgSlots: object.first(wgSlots)?.int, load: object.first(load)?.double, pingURL: pingURL, providerID: ownID,
            loadKind: loadKind(forKey: load.first { object.first([$0]) != nil }))
    }

    /// A port from a number, a string, or a range such as "8000-8999" (its first port).
    static func port(_ value: JSONValue) -> Int? {
        if let number = value.int { return (1...65_535).contains(number) ? number : nil }
        guard let text = value.string else { return nil }
        let first = text.split(whereSeparator: { $0 == "-" || $0 == "," || $0 == ":" }).first.map(String.init) ?? text
        guard let number = Int(first.trimmingSpaces()), (1...65_535).contains(number) else { return nil }
        return number
    }

    /// A host without a scheme, path or port (`https://a.example:8443/x` gives `a.example`).
    static func bareHost(_ text: String) -> String? {
        if text.contains("://") { return hostAndPort(ofURL: text)?.host }
        return text
    }

    /// Host and port of a URL (`https://a.example:8443/ping` gives `a.example`, 8443; default ports by scheme).
    static func hostAndPort(ofURL text: String) -> (host: String, port: Int?)? {
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty else { return nil }
        let port = components.port ?? (components.scheme == "https" ? 443 : components.scheme == "http" ? 80 : nil)
        return (host, port)
    }
}

import FoundationEssentials
import SafeText
