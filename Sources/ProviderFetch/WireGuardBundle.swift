import SafeText

/// The servers of a wg-quick file: one per `[Peer]` with an `Endpoint` (IP or name, IPv6 in
/// brackets); a file without an endpoint is named as a problem. Pure.
package enum WireGuardBundle {
    /// The entries of `text` read from `path` (its relative path: the entries' ids), and what was wrong.
    package static func entries(_ text: String, path: String) -> ([BundleEntry], [String]) {
        var endpoints: [(line: Int, value: Substring)] = []
        var section = ""
        var privateKey = false
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first?.trimmingSpaces() ?? ""
            if line.hasPrefix("[") { section = line.lowercased(); continue }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingSpaces().lowercased()
            let value = line[line.index(after: equals)...].drop { $0 == " " || $0 == "\t" }
            if section == "[interface]", key == "privatekey", !value.isEmpty { privateKey = true }
            if section == "[peer]", key == "endpoint" { endpoints.append((number + 1, value)) }
        }
        let shown = SafeText.escaped(path, limit: 120)
        guard privateKey else { return ([], ["\(shown): no [Interface] PrivateKey: skipped"]) }
        guard !endpoints.isEmpty else { return ([], ["\(shown): no [Peer] Endpoint: skipped"]) }
        let base = path.split(separator: "/").last.map(String.init) ?? path
        let name = base.hasSuffix(".conf") ? String(base.dropLast(5)) : base
        var entries: [BundleEntry] = []
        var problems: [String] = []
        for (index, endpoint) in endpoints.enumerated() {
            guard let (host, port) = BundleEntry.splitEndpoint(endpoint.value) else {
                problems.append("\(shown):\(endpoint.line): Endpoint \(SafeText.quoted(endpoint.value, limit: 60)) is not host:port: skipped")
                continue
            }
            let suffix = endpoints.count > 1 ? "#\(index + 1)" : ""
            entries.append(BundleEntry(id: path + suffix, name: name + suffix, host: host, port: port ?? 51_820, protocol: "wireguard", transport: "udp",
                                       country: BundleEntry.country(from: name), material: .wireguard(text)))
        }
        return (entries, problems)
    }
}
