import Foundation

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
        guard uri.lowercased().hasPrefix("vmess://") else { return nil }
        var payload = String(uri.dropFirst("vmess://".count)).trimmingCharacters(in: .whitespacesAndNewlines)
        payload = payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        payload = payload.filter { !$0.isWhitespace }
        while payload.count % 4 != 0 { payload += "=" }
        guard var bytes = Data(base64Encoded: payload).map(Array.init) else { return nil }
        // Raw control characters are not allowed inside JSON strings; they carry nothing here.
        for index in bytes.indices where bytes[index] < 0x20 { bytes[index] = 0x20 }
        guard let json = try? JSONValue.parse(Data(bytes)), case .object = json else { return nil }
        address = json["add"]?.string
        port = json["port"].flatMap(ServerFields.port)
        remark = json["ps"]?.string
        network = json["net"]?.string?.lowercased()
        sni = json["sni"]?.string ?? json["host"]?.string
    }
}
