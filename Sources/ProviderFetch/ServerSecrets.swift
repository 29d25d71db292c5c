/// A server's connection fields as its provider listed them (XMPlus: `password`/UUID, `network`,
/// `sni`, `security`, `fingerprint`, `allowinsecure`, `header`, `encryption`, `alterid`, `uri`),
/// kept in memory for the hand-over and never shown: not encoded with the server, and its
/// description is a placeholder, so a server printed or logged carries none of them.
public struct ServerSecrets: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The fields, by the provider's key.
    package var fields: [String: JSONValue]

    /// Fields as listed. (They are registered for redaction when the hand-over uses them, not
    /// here: a list of thousands of servers must not grow the registry every fetch.)
    package init(_ fields: [String: JSONValue]) {
        self.fields = fields
    }

    /// No fields.
    public static let none = ServerSecrets([:])

    /// The text of `key` (`nil` when absent or empty).
    package subscript(key: String) -> String? { fields[key]?.string }

    public var description: String { fields.isEmpty ? "none" : "(\(fields.count) connection fields withheld)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: []) }
}
