import FoundationEssentials
import SafeText

/// The servers users already hold, as a provider (`files`: a folder, zip or file; `subscription`:
/// a URL answering share links or a Clash/sing-box configuration), and the hand-over of each
/// server's own material: the wg-quick file as it is, the OpenVPN profile with only the chosen
/// `remote`, a share link as served with the outbounds built from it.
struct BundleBackend: ProviderBackend {
    let fetcher: ProviderFetcher
    let spec: ProviderSpec

    func fetch(_ problems: ServerProblems) async throws(ProviderError) -> ([Server], AccountState?) {
        let (entries, wrong): ([BundleEntry], [String])
        if spec.type == "subscription" {
            let url = try spec.baseURL()
            // A subscription URL carries its token: the whole URL is a secret in every message.
            Self.registerSecrets(of: url)
            var headers = ["Accept": "*/*"]
            if case .object(let given)? = spec.fields["headers"] {
                for (key, value) in given {
                    guard let raw = value.string else { throw ProviderError(.configuration, "headers.\(key) must be text", provider: spec.name) }
                    headers[key] = try spec.secret(raw: raw, field: "headers.\(key)")
                }
            }
            let answer = try await fetcher.client(spec).send("GET", url, headers: headers)
            guard (200..<300).contains(answer.status) else { throw fetcher.failure(answer, "subscription") }
            (entries, wrong) = BundleReader.entries(of: Array(answer.body), path: spec.name)
        } else {
            guard let path = spec.fields["path"]?.string else { throw ProviderError(.configuration, "missing 'path'", provider: spec.name) }
            var full = path
            if full.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"] { full = home + full.dropFirst(1) }
            if !full.hasPrefix("/"), full != "-" { full = fetcher.baseDirectory + "/" + full }
            (entries, wrong) = try BundleReader.read(path: full)
        }
        for line in wrong { problems.add(line) }
        guard !entries.isEmpty else {
            throw ProviderError(.unexpectedShape, wrong.first.map { "no server in it (\($0))" } ?? "no server in it")
        }
        var seen = Set<String>()
        var servers: [Server] = []
        for entry in entries {
            let server = entry.server(provider: spec.name)
            guard seen.insert(server.id).inserted else { continue }  // the same node listed twice
            servers.append(server)
        }
        return (servers, nil)
    }

    func connect(_ server: Server, timeout: Duration, progress: (@Sendable (String) -> Void)?) async throws(ProviderError) -> ConnectionMaterial {
        // What the user holds in a file is theirs, handed over as it is; a subscription is provider data.
        let userOwned = spec.type == "files"
        if let text = server.secrets["bundle_wireguard"] {
            for secret in WireGuardConfig.secrets(of: text) { Redaction.register(secret) }
            let name = Self.interfaceName(server.name)
            var material = ConnectionMaterial(protocol: "wireguard", host: server.host, port: server.port, transport: "udp",
                                              files: [MaterialFile(kind: "wireguard", name: name + ".conf", contents: text.hasSuffix("\n") ? text : text + "\n")])
            material.userOwned = userOwned
            return material
        }
        if let text = server.secrets["bundle_openvpn"], let remote = server.secrets.fields["bundle_remote"]?.int {
            let profile = OpenVPNBundle.profile(text, keeping: remote)
            var material = ConnectionMaterial(protocol: "openvpn", host: server.host, port: server.port, transport: server.transport,
                                              files: [MaterialFile(kind: "openvpn", name: ProviderFetcher.fileNames["openvpn"] ?? "profile.ovpn",
                                                                   contents: profile.hasSuffix("\n") ? profile : profile + "\n")])
            material.userOwned = userOwned
            return material
        }
        guard case .object(let fields)? = server.secrets.fields["bundle_proxy"],
              let outbound = ProxyOutbound(fields: fields, fallbackHost: server.host, fallbackPort: server.port)
        else { throw ProviderError(.unexpectedShape, "the entry carries no connection material") }
        Redaction.register(outbound.credential)
        var files = [MaterialFile(kind: "uri", name: ProviderFetcher.fileNames["uri"] ?? "uri.txt", contents: outbound.uri + "\n")]
        var notes: [String] = []
        if let singBox = outbound.singBox {
            files.append(MaterialFile(kind: "sing-box", name: ProviderFetcher.fileNames["sing-box"] ?? "sing-box-outbound.json", contents: singBox.text() + "\n"))
        }
        if let xray = outbound.xray {
            files.append(MaterialFile(kind: "xray", name: ProviderFetcher.fileNames["xray"] ?? "xray-outbound.json", contents: xray.text() + "\n"))
        } else {
            notes.append("type \(SafeText.quoted(outbound.type, limit: 20)): no xray outbound is written for it")
        }
        if let mihomo = outbound.mihomo {
            files.append(MaterialFile(kind: "mihomo", name: ProviderFetcher.fileNames["mihomo"] ?? "mihomo-proxy.yaml", contents: "proxies:\n  - " + mihomo.text(pretty: false) + "\n"))
        }
        var material = ConnectionMaterial(protocol: outbound.type, host: outbound.host, port: outbound.port, transport: server.transport, files: files, notes: notes)
        material.userOwned = userOwned
        return material
    }

    /// A subscription URL's token, wherever it is: the whole URL, its query and each query value,
    /// its user information, and any long path segment.
    static func registerSecrets(of url: URL) {
        Redaction.register(url.absoluteString)
        if let query = url.query, !query.isEmpty { Redaction.register(query) }
        for item in URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? [] { if let value = item.value { Redaction.register(value) } }
        if let password = url.password { Redaction.register(password) }
        for segment in url.pathComponents where segment.count >= 16 { Redaction.register(segment) }
    }

    /// A wg-quick interface name from `name`: at most 15 characters of `[A-Za-z0-9_=+.-]`.
    static func interfaceName(_ name: String) -> String {
        let allowed = name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "_=+.-".contains($0)) ? $0 : "-" }
        let cut = String(allowed.prefix(15)).trimming { $0 == "-" || $0 == "." }
        return cut.isEmpty ? "probe" : cut
    }
}
