import SafeText

/// One thing to probe: a host name or numeric address and a port, as the user wrote it.
///
/// Accepted forms: `host`, `host:port`, `1.2.3.4`, `1.2.3.4:port`, `::1`, `[::1]`, `[::1]:port`,
/// `[fe80::1%eth0]:port`. Without a port the default port (443) is used.
public struct ProbeTarget: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The text as given (`"example.org:8443"`), reported back unchanged.
    public var text: String
    /// The host name or numeric address, without brackets.
    public var host: String
    /// The TCP port.
    public var port: UInt16
    /// Whether the port was given (or listed by a provider); `false` when it is only the default.
    /// A target without a known port gets no TCP knock when ICMP can run.
    public var portKnown: Bool = true
    /// The one address family to probe this name at (`--family both` makes a target of each), or
    /// `nil` to follow ``ProbeOptions/family``.
    package var family: SocketAddress.Family?
    /// The VPN service behind this target and its keys, for a handshake probe (never encoded,
    /// never shown).
    package var handshake: HandshakeService? {
        get { service?.value }
        set { service = newValue.map(ServiceBox.init) }
    }
    /// The handshake service out of line: most targets have none, and a target is copied into
    /// every result (48 bytes instead of 112 each, 10,000 of them in a wide sweep's lists).
    private var service: ServiceBox?

    /// An immutable box: a copy of the target shares it, a change replaces it.
    private final class ServiceBox: Hashable, Sendable {
        let value: HandshakeService
        init(_ value: HandshakeService) { self.value = value }
        static func == (lhs: ServiceBox, rhs: ServiceBox) -> Bool { lhs === rhs || lhs.value == rhs.value }
        func hash(into hasher: inout Hasher) { hasher.combine(value) }
    }

    enum CodingKeys: String, CodingKey { case text, host, port, portKnown, family }

    /// The port used when a target names none.
    public static let defaultPort: UInt16 = 443

    /// A target from its parts; `text` defaults to `host:port`.
    public init(host: String, port: UInt16, text: String? = nil, portKnown: Bool = true) {
        self.host = host
        self.port = port
        self.portKnown = portKnown
        self.text = text ?? (host.utf8.contains(UInt8(ascii: ":")) ? "[\(host)]:\(port)" : "\(host):\(port)")
    }

    /// Parses a target, throwing a ``TargetParseError`` that names what is wrong.
    public init(parsing raw: String, defaultPort: UInt16 = ProbeTarget.defaultPort) throws(TargetParseError) {
        let text = raw.trimmingWhitespace()
        guard !text.isEmpty else { throw TargetParseError(target: raw, reason: "empty target") }
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw TargetParseError(target: text, reason: "missing ']' after an IPv6 address")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else {
                    throw TargetParseError(target: text, reason: "expected ':port' after ']'")
                }
                portText = rest.dropFirst()
            }
            guard host.utf8.contains(UInt8(ascii: ":")) else {
                throw TargetParseError(target: text, reason: "brackets are only for IPv6 addresses")
            }
        } else {
            let colons = text.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: ":") ? 1 : 0) }
            if colons == 1, let colon = text.firstIndex(of: ":") {
                host = text[..<colon]
                portText = text[text.index(after: colon)...]
            } else {
                host = Substring(text)  // no colon, or a bare IPv6 address
            }
        }
        guard !host.isEmpty else { throw TargetParseError(target: text, reason: "missing host") }
        if host.utf8.contains(UInt8(ascii: ":")) {
            guard SocketAddress(numericHost: String(host), port: 0) != nil else {
                throw TargetParseError(target: text, reason: "\(SafeText.redactedQuote(host)) is not a valid IPv6 address")
            }
        } else {
            guard Self.isValidHostName(host) else {
                throw TargetParseError(target: text, reason: "\(SafeText.redactedQuote(host)) is not a valid host name or address")
            }
            // A name whose last label is all digits is no host name (RFC 1123: top-level labels are not
            // numeric) but a mistyped IPv4 address: never send it to the resolver.
            if SocketAddress(numericHost: String(host), port: 0) == nil,
               let last = host.split(separator: ".").last, last.utf8.allSatisfy({ (0x30...0x39).contains($0) }) {
                throw TargetParseError(target: text, reason: "\(SafeText.redactedQuote(host)) is not a valid IPv4 address")
            }
        }
        var port = defaultPort
        if let portText {
            guard let value = UInt16(portText), value > 0 else {
                throw TargetParseError(target: text, reason: "\(SafeText.redactedQuote(portText)) is not a port (1-65535)")
            }
            port = value
        }
        self.text = text
        self.host = String(host)
        self.port = port
    }

    /// `host:port` as given.
    public var description: String { text }

    /// Letters, digits, '-', '_' and '.', labels of at most 63 characters, 253 in all.
    static func isValidHostName(_ host: Substring) -> Bool {
        guard host.utf8.count <= 253 else { return false }
        var labelLength = 0
        for byte in host.utf8 {
            switch byte {
            case UInt8(ascii: "."):
                if labelLength == 0 { return false }
                labelLength = 0
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                labelLength += 1
                if labelLength > 63 { return false }
            default:
                return false
            }
        }
        return true
    }
}

/// A target that could not be parsed, with the reason.
public struct TargetParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The text that was given.
    public var target: String
    /// What is wrong with it.
    public var reason: String

    /// `bad target 'x:99999': '99999' is not a port (1-65535)`; the target quoted with control
    /// characters escaped, cut at 40 characters, and anything that looks like a secret (a key
    /// field's value, a long base64 run) redacted: a file given by mistake may be a wg-quick one.
    public var description: String {
        // A line holding something secret-looking is named, never explained by quoting a part of it.
        guard SafeText.redacted(target) == target else {
            return "bad target \(SafeText.redactedQuote(target)): not a host, host:port or [v6]:port (what looks like a secret is not shown)"
        }
        return "bad target \(SafeText.redactedQuote(target)): \(reason)"
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and line breaks (ASCII only, by bytes).
    func trimmingWhitespace() -> String {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        let string = String(self)
        let bytes = string.utf8
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
