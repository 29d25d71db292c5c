import ProbeKit

/// Which `Host` and `Origin` headers `probe serve` answers (DNS rebinding: a web page on another
/// site whose name was made to resolve to this machine must not read `/report` or `POST /-/reload`).
///
/// A `Host` that is an IP address literal is admitted (a rebinding needs a name), as are
/// `localhost` (and `*.localhost`), this machine's own name when listening beyond loopback, and the
/// names configured (`--allow-host`; `*` admits every name). An `Origin` on a request that changes
/// something is admitted only when it names the same host and port as `Host` and that host is
/// admitted; a request without `Origin` (curl, Prometheus, an orchestrator) is not a browser's
/// cross-site request.
package struct HostRule: Hashable, Sendable {
    /// Names admitted besides address literals and `localhost`, lower-cased; `*` admits any.
    package var names: Set<String>

    /// A rule admitting `names`.
    package init(names: some Sequence<String>) {
        self.names = Set(names.map { $0.lowercased() })
    }

    /// Whether a request with this `Host` header is answered (no header: HTTP/1.0, admitted).
    package func admits(host header: String?) -> Bool {
        guard let header else { return true }
        guard let host = Self.hostPart(header) else { return false }
        if names.contains("*") || Self.isAddressLiteral(host) { return true }
        let name = host.lowercased().trimmingSuffix(".")
        return name == "localhost" || name.hasSuffix(".localhost") || names.contains(name)
    }

    /// Whether a state-changing request with this `Origin` is answered, given its `Host`.
    package func admits(origin: String?, host: String?) -> Bool {
        guard let origin else { return true }
        guard origin != "null", let separator = origin.range(of: "://"), let host else { return false }
        let authority = origin[separator.upperBound...]
        return authority.lowercased() == host.lowercased() && admits(host: host)
    }

    /// The host of a `Host` header (`name`, `name:port`, `1.2.3.4:port`, `[v6]:port`), or `nil`
    /// when it is not one.
    static func hostPart(_ header: String) -> String? {
        let trimmed = header.trimmingCharacters(in: " \t")
        guard !trimmed.isEmpty, trimmed.utf8.count <= 255, !trimmed.contains(where: { $0.isWhitespace || $0 == "/" || $0 == "@" }) else { return nil }
        if trimmed.hasPrefix("[") {
            guard let close = trimmed.firstIndex(of: "]") else { return nil }
            let rest = trimmed[trimmed.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && UInt16(rest.dropFirst()) != nil) else { return nil }
            return String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
        }
        let parts = trimmed.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty else { return nil }
        if parts.count == 2, UInt16(parts[1]) == nil { return nil }
        return String(parts[0])
    }

    /// An IPv4 dotted quad or an IPv6 literal (from inside brackets).
    static func isAddressLiteral(_ host: String) -> Bool {
        if host.contains(":") { return host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." } }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { $0.count <= 3 && UInt8($0) != nil }
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text.removeFirst() }
        while let last = text.last, set.contains(last) { text.removeLast() }
        return String(text)
    }

    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : String(self)
    }
}
