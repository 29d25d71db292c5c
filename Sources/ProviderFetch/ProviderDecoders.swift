package import FoundationEssentials
import SafeText

/// The documented answers of each provider, decoded into normalised servers. Pure: bytes and
/// JSON in, values out; every failure is a ``ProviderError`` with a one-line message.
package enum ProviderDecoders {
    // MARK: XMPlus client API v2

    /// The token from `POST /api/v2/client/token`.
    package static func xmplusToken(_ json: JSONValue) throws(ProviderError) -> String {
        try xmplusCheck(json)
        guard let token = json.value(at: "data.token")?.string ?? json["token"]?.string else {
            throw ProviderError(.unexpectedShape, "the token answer holds no data.token")
        }
        return token
    }

    /// The servers from `POST /api/v2/client/servers`; the `uri` only fills what the fields lack.
    /// Entries that cannot be servers are skipped, each a line in `problems`.
    package static func xmplusServers(_ json: JSONValue, provider: String, problems: ServerProblems? = nil) throws(ProviderError) -> [Server] {
        try xmplusCheck(json)
        guard case .array(let items)? = json["servers"] ?? json.value(at: "data.servers") else {
            throw ProviderError(.unexpectedShape, "the servers answer holds no servers array")
        }
        let problems = problems ?? ServerProblems()
        defer { problems.offset += items.count }
        return items.enumerated().compactMap { index, item in
            guard problems.admit(item, index: index, host: ["address"], port: ["port"], numbers: []) else { return nil }
            let vmess = item["uri"]?.string.flatMap(VMessURI.init)
            guard let host = item["address"]?.string ?? vmess?.address else {
                problems.noHost(index: index, keys: ["address", "uri"])
                return nil
            }
            let port = item["port"].flatMap(ServerFields.port) ?? vmess?.port
            let remark = item["remark"]?.string ?? vmess?.remark
            let type = item["type"]?.string?.lowercased()
            return Server(
                provider: provider, id: "\(provider):\(type ?? "server"):\(host):\(port.map(String.init) ?? "-")",
                name: remark ?? host, country: remark.flatMap(countryFromFlag), host: host, port: port, protocol: type,
                transport: item["network"]?.string?.lowercased() ?? vmess?.network,
                secrets: ServerSecrets(item.objectMembers))
        }
    }

    /// `ret` 1 is success; anything else is the provider's error, with its message.
    static func xmplusCheck(_ json: JSONValue) throws(ProviderError) {
        guard let ret = json["ret"]?.int else { throw ProviderError(.unexpectedShape, "the answer has no 'ret'") }
        guard ret == 1 else {
            let message = json.first(["msg", "message", "error"])?.string ?? json.value(at: "data.msg")?.string ?? "ret \(ret)"
            throw ProviderError(.provider, message)
        }
    }

    /// The account figures from `POST /api/v2/client/stats`.
    package static func xmplusAccount(_ json: JSONValue) throws(ProviderError) -> AccountState {
        try xmplusCheck(json)
        let remaining = json.value(at: "data.remaining")?.string
        let expiresAt = json.value(at: "info.expire_at")?.string
        // `onlineip` "0/2"; `iplimit` alone names the limit when `onlineip` is a bare count.
        var online = json.value(at: "info.onlineip")?.string
        if let count = online, !count.contains("/"), let limit = json.value(at: "info.iplimit")?.int { online = "\(count)/\(limit)" }
        return AccountState(
            status: expiresAt.map(isPast) == true ? "expired" : "active", expiresAt: expiresAt, remainingTraffic: remaining,
            totalTraffic: json.value(at: "data.total")?.string, usedTraffic: json.value(at: "data.used")?.string,
            onlineDevices: online,
            outOfTraffic: remaining.map(AccountState.trafficIsZero) ?? false)
    }

    /// Whether a "2220-04-15 08:18:51" (UTC) date has passed; `false` when it cannot be read.
    static func isPast(_ text: String) -> Bool {
        // An account's expiry is an absolute calendar date: compared with wall-clock time.
        guard let seconds = UTCTime.providerDate(text) else { return false }
        return Double(seconds) < UTCTime.now()
    }

    /// The `exp` claim of a JWT (seconds since 1970), without checking its signature.
    package static func jwtExpiry(_ token: String) -> Double? {
        let parts = token.split(separator: ".")
        guard parts.count >= 2 else { return nil }
        var payload = parts[1].replacingAll("-", with: "+").replacingAll("_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        guard let data = Data(base64Encoded: payload), let json = try? JSONValue.parse(data) else { return nil }
        return json["exp"]?.double
    }

    /// The ISO code of the first flag emoji in `text` (🇬🇧 gives GB).
    static func countryFromFlag(_ text: String) -> String? { CountryCode.firstFlag(in: text) }

    // MARK: VPNScript

    /// The token from `POST /api/auth/token`, or the documented error, in one line.
    package static func vpnscriptToken(_ json: JSONValue, status: Int) throws(ProviderError) -> String {
        if let token = json["token"]?.string, json["success"]?.bool != false { return token }
        throw vpnscriptError(json, status: status)
    }

    /// The documented error shapes: 422 validation, 422 bad credentials, 400 suspended, 401.
    package static func vpnscriptError(_ json: JSONValue, status: Int) -> ProviderError {
        if status == 400 || json["suspend_reason"] != nil {
            let reason = json["suspend_reason"]?.string.map { ": \($0)" } ?? ""
            return ProviderError(.suspended, (json["error"]?.string ?? "the account is suspended") + reason)
        }
        if status == 401 { return ProviderError(.authentication, json["message"]?.string ?? "unauthenticated") }
        if case .object(let fields)? = json["errors"], let (field, messages) = fields.sorted(by: { $0.key < $1.key }).first {
            return ProviderError(.authentication, "\(field): \(messages.items.first?.string ?? messages.string ?? "invalid")")
        }
        return ProviderError(.authentication, json.first(["message", "error"])?.string ?? "login failed (HTTP \(status))")
    }

    /// One page of `GET /api/servers`: its servers and the next page's URL, if any.
    /// Entries that cannot be servers are skipped, each a line in `problems`.
    package static func vpnscriptServers(_ json: JSONValue, provider: String, problems: ServerProblems? = nil) throws(ProviderError) -> (servers: [Server], next: String?) {
        guard case .array(let items)? = json["data"] else {
            throw ProviderError(.unexpectedShape, "the servers answer holds no data array")
        }
        let problems = problems ?? ServerProblems()
        defer { problems.offset += items.count }
        let servers = items.enumerated().compactMap { index, item -> Server? in
            guard problems.admit(item, index: index, host: ["host", "ipaddr"], port: ["port"],
                                 numbers: ["wg_available_slots", "wg_slots", "load", "active_connections"]) else { return nil }
            guard let host = item.first(["host", "ipaddr"])?.string else {
                problems.noHost(index: index, keys: ["host", "ipaddr"])
                return nil
            }
            return Server(
                provider: provider, id: "\(provider):\(item["id"]?.string ?? host)", name: item["name"]?.string ?? host,
                country: item["country"]?.string ?? item["country_iso_code"]?.string?.uppercased(),
                city: item["city"]?.string ?? item["state"]?.string, host: host, port: item["port"].flatMap(ServerFields.port),
                protocol: item["protocol"]?.string?.lowercased(), wgAvailableSlots: item["wg_available_slots"]?.int,
                wgSlots: item["wg_slots"]?.int, load: item.first(["load", "active_connections"])?.double,
                providerID: item["id"]?.string,
                loadKind: item.first(["load"]) != nil ? "utilisation" : "count")
        }
        return (servers, json["next_page_url"]?.string)
    }

    /// `GET /api/account`: status, suspension and services.
    package static func vpnscriptAccount(_ json: JSONValue) throws(ProviderError) -> AccountState {
        guard let data = json["data"] else { throw ProviderError(.unexpectedShape, "the account answer holds no data") }
        let reason = data["suspend_reason"]?.string
        let listed: [JSONValue]? = { if case .array(let items)? = data["service"] { return items } else { return nil } }()
        let services = listed ?? []
        // A service counts when it is active and its next payment (if given) has not passed.
        let active = services.filter { service in
            guard service["status"]?.string?.lowercased() == "active" || service["status"]?.int == 1 else { return false }
            return !(service["next_payment"]?.string.map(isPast) ?? false)
        }
        let lapsed = services.contains { service in
            (service["status"]?.string?.lowercased() == "active" || service["status"]?.int == 1) && (service["next_payment"]?.string.map(isPast) ?? false)
        }
        let status: String
        if reason != nil { status = "suspended" }
        else if listed == nil || !active.isEmpty { status = "active" }  // no `service` key: nothing known, kept
        else if services.isEmpty { status = "no-service" }
        else if lapsed { status = "expired" }
        else { status = "inactive" }
        return AccountState(
            status: status, expiresAt: (active.isEmpty ? services : active).compactMap { $0["next_payment"]?.string }.first,
            suspended: reason != nil, suspendReason: reason)
    }

    // MARK: NetMimic

    /// `POST /api/login`: the token and the device id to use afterwards (it can differ from the one sent).
    /// The device id is kept as login returned it: a number stays a number, text stays text.
    package static func netmimicLogin(_ json: JSONValue, status: Int, sentDeviceID: JSONValue) throws(ProviderError) -> (token: String, deviceID: JSONValue) {
        guard let token = json.first(["token", "access_token"])?.string ?? json.value(at: "data.token")?.string else {
            // 401 carries {"error": "..."} in Russian: shown as given.
            throw ProviderError(.authentication, json.first(["error", "message"])?.string ?? "login failed (HTTP \(status))")
        }
        let returned = json["device_id"] ?? json.value(at: "data.device_id")
        switch returned {
        case .number(let value)? where value.isFinite: return (token, .number(value))
        case .string(let text)? where !text.isEmpty: return (token, .string(text))
        default: return (token, sentDeviceID)
        }
    }

    /// `POST /api/servers`: a bare array or `{"data": [...]}` (undocumented), with the usual key spellings.
    /// Entries that cannot be servers are skipped, each a line in `problems`.
    package static func netmimicServers(_ json: JSONValue, provider: String, fields: ServerFields, problems: ServerProblems? = nil) throws(ProviderError) -> [Server] {
        let items: [JSONValue]
        switch json {
        case .array(let values): items = values
        case .object:
            guard case .array(let values)? = json.first(["data", "servers", "items"]) ?? json.value(at: "data.servers") else {
                throw ProviderError(.unexpectedShape, "the servers answer is neither an array nor {\"data\": [...]}")
            }
            items = values
        default:
            throw ProviderError(.unexpectedShape, "the servers answer is neither an array nor {\"data\": [...]}")
        }
        return fields.servers(from: items, provider: provider, problems: problems)
    }

    // MARK: Generic JSON and xpay.stream

    /// The servers of a generic JSON answer: the array at `items` (a dotted path), mapped by `fields`.
    /// Entries that cannot be servers are skipped, each a line in `problems`.
    package static func genericServers(_ json: JSONValue, items path: String?, provider: String, fields: ServerFields, problems: ServerProblems? = nil) throws(ProviderError) -> [Server] {
        let found = path.map { json.value(at: $0) } ?? json
        guard case .array(let items)? = found else {
            throw ProviderError(.unexpectedShape, "no array at '\(path ?? "(top level)")'")
        }
        return fields.servers(from: items, provider: provider, problems: problems)
    }

    /// `POST /client/authenticate` of xpay.stream: the access token and when it expires (ms since
    /// 1970). Failures come back with HTTP 200 as `{"error": {...}}`.
    package static func xpayToken(_ json: JSONValue) throws(ProviderError) -> (token: String, expiresAtMilliseconds: Double?) {
        if let error = json["error"] {
            throw ProviderError(.authentication, error["message"]?.string ?? error.string ?? "authentication failed")
        }
        guard let data = json.value(at: "success.data"), let token = data["access_token"]?.string else {
            throw ProviderError(.unexpectedShape, "the answer holds no success.data.access_token")
        }
        return (token, data["expiresAt"]?.double)
    }

    // MARK: Static lists

    /// A static list: a JSON array of servers in the normalised shape, or CSV with a header row.
    /// Entries (or CSV rows) that cannot be servers are skipped, each a line in `problems`.
    package static func staticServers(_ data: Data, provider: String, problems: ServerProblems? = nil) throws(ProviderError) -> [Server] {
        let text = String(decoding: data, as: UTF8.self)
        let trimmed = text.trimmingWhitespace()
        if trimmed.hasPrefix("[") || trimmed.hasPrefix("{") {
            let json = try JSONValue.parse(data)
            let items = json.items.isEmpty ? (json.first(["servers", "data"])?.items ?? []) : json.items
            return ServerFields.lenient.servers(from: items, provider: provider, problems: problems)
        }
        var lines = trimmed.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.hasPrefix("#") }
        guard !lines.isEmpty else { return [] }
        let header = csvFields(lines.removeFirst()).map { $0.lowercased() }
        guard header.contains(where: { ServerFields.lenient.host.contains($0) }) else {
            throw ProviderError(.unexpectedShape, "the CSV header names no host column (host, ip, address, ...)")
        }
        let rows = lines.map { line -> JSONValue in
            let cells = csvFields(line)
            var object: [String: JSONValue] = [:]
            for (index, key) in header.enumerated() where index < cells.count && !cells[index].isEmpty {
                object[key] = .string(cells[index])
            }
            return .object(object)
        }
        return ServerFields.lenient.servers(from: rows, provider: provider, problems: problems)
    }

    /// One CSV line's fields (double quotes, "" inside quotes).
    static func csvFields(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var iterator = line.makeIterator()
        while let character = iterator.next() {
            if quoted {
                if character == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { current.append("\"") } else {
                            quoted = false
                            if next == "," { fields.append(current); current = "" } else { current.append(next) }
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                fields.append(current.trimmingSpaces())
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current.trimmingSpaces())
        return fields
    }
}
