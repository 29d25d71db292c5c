/// Something that failed without sinking the run: a bad target line, a name that did not resolve,
/// and later a provider that could not be fetched.
public struct ReportError: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Where it came from: `targets.txt:3`, a target as given, a provider's name.
    public var source: String
    /// What went wrong, in one line. Never holds a secret.
    public var message: String

    /// An error.
    public init(source: String, message: String) {
        self.source = source
        self.message = message
    }

    /// `source: message`.
    public var description: String { "\(source): \(message)" }
}
