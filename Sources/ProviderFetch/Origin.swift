package import FoundationEssentials

/// The scheme, host and port a provider's credentials belong to: the origin of its configured
/// `url`. Tokens, passwords and API keys are sent there and nowhere else; redirects and URLs that
/// an answer hands back (a paginator's next page) are followed only where ``admits(_:)`` says.
package struct Origin: Hashable, Sendable, CustomStringConvertible {
    /// `http` or `https`, lower-cased.
    package var scheme: String
    /// The host, lower-cased, without brackets.
    package var host: String
    /// The port, the scheme's default when the URL names none.
    package var port: Int

    /// The origin of `url`; `nil` unless it is an http(s) URL with a host.
    package init?(_ url: URL) {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host?.lowercased(), !host.isEmpty else { return nil }
        self.scheme = scheme
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        port = url.port ?? (scheme == "https" ? 443 : 80)
    }

    /// Whether credentials may go to `url`: the same origin, or `https` on the same host (an
    /// upgrade). Never another host, and never from `https` down to `http`.
    package func admits(_ url: URL) -> Bool {
        guard let other = Origin(url) else { return false }
        return other == self || (other.scheme == "https" && other.host == host)
    }

    /// `https://vpn.example`, the port only when it is not the scheme's default.
    package var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        let defaultPort = scheme == "https" ? 443 : 80
        return "\(scheme)://\(shownHost)" + (port == defaultPort ? "" : ":\(port)")
    }

    /// The one-line error for a URL the credentials may not follow:
    /// `redirected to http://other.example:8081/api/servers: not followed (credentials stay with https://vpn.example)`.
    func refusal(_ url: URL, _ what: String) -> ProviderError {
        let verb = what == "not sent" ? "\(Self.display(url)) is outside the provider's origin: not sent" : "\(what) \(Self.display(url)): not followed"
        return ProviderError(.redirect, "\(verb) (credentials stay with \(self))")
    }

    /// A URL for an error line: scheme, host, port and path; never the query or fragment (a token
    /// may ride there), nor user information; at most 100 characters of path.
    static func display(_ url: URL) -> String {
        guard var parts = URLComponents(url: url, resolvingAgainstBaseURL: true) else { return "an unreadable URL" }
        parts.query = nil
        parts.fragment = nil
        parts.user = nil
        parts.password = nil
        let text = parts.string ?? "an unreadable URL"
        return text.count > 160 ? String(text.prefix(160)) + "…" : text
    }
}
