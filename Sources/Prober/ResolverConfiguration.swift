import FoundationEssentials

/// How this machine resolves names, read from the files glibc reads: `/etc/resolv.conf`
/// (name servers, search list, `ndots`, `timeout`, `attempts`, `rotate`), `/etc/hosts`, and the
/// `hosts:` line of `/etc/nsswitch.conf`.
///
/// Parsing is pure (text in, configuration out); ``load(root:)`` reads the files.
package struct ResolverConfiguration: Sendable, Equatable {
    /// Name servers, in order (port 53).
    package var servers: [SocketAddress] = []
    /// Domains tried for a name with fewer than ``ndots`` dots.
    package var search: [String] = []
    /// Dots a name needs to be tried as given first (default 1).
    package var ndots = 1
    /// Seconds before a query is sent again (resolv.conf `timeout`, default 5).
    package var attemptSeconds = 5
    /// Rounds over the servers (resolv.conf `attempts`, default 2).
    package var attempts = 2
    /// Whether queries start at a different server each time (`rotate`).
    package var rotate = false
    /// `/etc/hosts`: addresses by lower-case name, in file order.
    package var hosts: [String: [SocketAddress]] = [:]
    /// Why the stub resolver cannot stand in for getaddrinfo here (a `hosts:` source other than
    /// `files` and `dns`, such as `mdns4_minimal` or `resolve`, or no name server), or `nil`.
    package var stubUnusable: String?

    /// A configuration with these parts.
    package init(servers: [SocketAddress] = [], search: [String] = [], hosts: [String: [SocketAddress]] = [:]) {
        self.servers = servers
        self.search = search
        self.hosts = hosts
    }

    /// The machine's configuration; `root` prefixes the paths (tests). `PROBE_RESOLVER=system` in
    /// the environment makes every lookup the system's `getaddrinfo` (for a network whose names
    /// only the system's own resolver knows how to ask, such as a VPN client's split DNS).
    package static func load(root: String = "", environment: [String: String] = ProcessInfo.processInfo.environment) -> ResolverConfiguration {
        func read(_ path: String) -> String? { try? String(contentsOfFile: root + path, encoding: .utf8) }
        var configuration = parse(resolvConf: read("/etc/resolv.conf") ?? "", hosts: read("/etc/hosts") ?? "")
        if environment["PROBE_RESOLVER"] == "system" {
            configuration.stubUnusable = "PROBE_RESOLVER=system"
        } else if let reason = unsupportedSources(nsswitch: read("/etc/nsswitch.conf") ?? "hosts: files dns") {
            configuration.stubUnusable = reason
        } else if configuration.servers.isEmpty {
            configuration.stubUnusable = "no nameserver in /etc/resolv.conf"
        }
        return configuration
    }

    /// Parses the two files' text (unknown lines and options are ignored, as glibc does).
    package static func parse(resolvConf: String, hosts: String) -> ResolverConfiguration {
        var configuration = ResolverConfiguration()
        for line in resolvConf.split(whereSeparator: \.isNewline) {
            let words = line.prefix { $0 != "#" && $0 != ";" }.split(whereSeparator: \.isWhitespace).map(String.init)
            guard let keyword = words.first else { continue }
            switch keyword {
            case "nameserver":
                // At most three, as glibc (MAXNS); a scoped IPv6 address keeps its scope.
                if words.count > 1, configuration.servers.count < 3, let server = SocketAddress(numericHost: words[1], port: 53) {
                    configuration.servers.append(server)
                }
            case "search", "domain":
                // The last of them wins, as in glibc.
                configuration.search = words.dropFirst().map { $0.lowercased().trimmingSuffix(".") }.filter { !$0.isEmpty }
            case "options":
                for option in words.dropFirst() {
                    let parts = option.split(separator: ":", maxSplits: 1)
                    let value = parts.count == 2 ? Int(parts[1]) : nil
                    switch parts.first {
                    case "ndots": if let value { configuration.ndots = min(max(value, 0), 15) }
                    case "timeout": if let value { configuration.attemptSeconds = min(max(value, 1), 30) }
                    case "attempts": if let value { configuration.attempts = min(max(value, 1), 5) }
                    case "rotate": configuration.rotate = true
                    default: break
                    }
                }
            default:
                break
            }
        }
        for line in hosts.split(whereSeparator: \.isNewline) {
            let words = line.prefix { $0 != "#" }.split(whereSeparator: \.isWhitespace)
            guard words.count >= 2, let address = SocketAddress(numericHost: String(words[0]), port: 0) else { continue }
            for name in words.dropFirst() {
                configuration.hosts[name.lowercased(), default: []].append(address)
            }
        }
        return configuration
    }

    /// Why the `hosts:` line of nsswitch.conf asks for more than files and DNS, or `nil`.
    package static func unsupportedSources(nsswitch: String) -> String? {
        for line in nsswitch.split(whereSeparator: \.isNewline) {
            let words = line.prefix { $0 != "#" }.split(whereSeparator: \.isWhitespace)
            guard words.first == "hosts:" else { continue }
            // Actions ([NOTFOUND=return]) change nothing for files and dns.
            let sources = words.dropFirst().filter { !$0.hasPrefix("[") }
            if let other = sources.first(where: { $0 != "files" && $0 != "dns" }) {
                return "nsswitch.conf asks '\(other)' for host names"
            }
            return nil
        }
        return nil
    }

    /// The names to ask for `name`, in order (RFC 1535 / glibc's `res_search`): as given first when
    /// it has at least ``ndots`` dots, then with each search domain; a name ending in a dot is
    /// tried as given only.
    package func candidates(for name: String) -> [String] {
        let lower = name.lowercased()
        if lower.hasSuffix(".") { return [String(lower.dropLast())] }
        let dots = lower.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: ".") ? 1 : 0) }
        let searched = search.map { "\(lower).\($0)" }
        return dots >= ndots ? [lower] + searched : searched + [lower]
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
