import FoundationEssentials
import SafeText

/// A `vmess://` link: base64 (standard or URL-safe, with or without padding) of a JSON object
/// whose numbers may be strings and whose strings may hold raw control characters.
package struct VMessURI: Hashable, Sendable {
    /// Server address (`add`).
    package var address: String?
    /// Port (`port`).
    package var port: Int?
    /// Remark (`ps`).
    package var remark: String?
    /// Transport (`net`).
    package var network: String?
    /// TLS SNI (`sni`, else `host`).
    package var sni: String?

    /// Parses a link; `nil` when it is not a vmess link or its payload cannot be read.
    package init?(_ uri: String) {
        guard let members = Self.payload(uri) else { return nil }
        let json = JSONValue.object(members)
        address = json["add"]?.string
        port = json["port"].flatMap(ServerFields.port)
        remark = json["ps"]?.string
        network = json["net"]?.string?.lowercased()
        sni = json["sni"]?.string ?? json["host"]?.string
    }

    /// The JSON object inside a `vmess://` link (base64, standard or URL-safe, padded or not),
    /// `nil` when it is not one.
    static func payload(_ uri: String) -> [String: JSONValue]? {
        guard uri.lowercased().hasPrefix("vmess://") else { return nil }
        var payload = String(uri.dropFirst("vmess://".count)).filter { !$0.isWhitespace }
        payload = payload.replacingAll("-", with: "+").replacingAll("_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        guard var bytes = Data(base64Encoded: payload).map(Array.init) else { return nil }
        // Raw control characters are not allowed inside JSON strings; they carry nothing here.
        for index in bytes.indices where bytes[index] < 0x20 { bytes[index] = 0x20 }
        guard case .object(let members)? = try? JSONValue.parse(Data(bytes)) else { return nil }
        return members
    }
}
