import SafeText

/// Why a provider could not be fetched, in one line that never holds a secret.
public struct ProviderError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure (extensible, as in swift-service-lifecycle).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// The configuration is missing a field or has a bad value.
        public static let configuration = Code(name: "configuration")
        /// Login was refused (bad credentials, expired token that could not be renewed).
        public static let authentication = Code(name: "authentication")
        /// The account is suspended.
        public static let suspended = Code(name: "suspended")
        /// The provider answered with an HTTP error status.
        public static let http = Code(name: "http")
        /// No answer in time.
        public static let timeout = Code(name: "timeout")
        /// The connection failed.
        public static let network = Code(name: "network")
        /// The answer was larger than probe accepts.
        public static let tooLarge = Code(name: "too-large")
        /// The answer was not JSON (an HTML challenge page, say).
        public static let notJSON = Code(name: "not-json")
        /// The answer was JSON, but broken.
        public static let malformedJSON = Code(name: "malformed-json")
        /// The JSON did not have the documented shape.
        public static let unexpectedShape = Code(name: "unexpected-shape")
        /// The provider reported an error of its own (`ret` not 1, `success: false`, ...).
        public static let provider = Code(name: "provider")
        /// A redirect, or a URL an answer handed back, points outside the provider's origin (or
        /// redirects went on too long): not followed, so the credentials stay where they belong.
        public static let redirect = Code(name: "redirect")
        /// The provider gives no connection material for this server (a static list, a generic
        /// JSON provider without a `connect` section, a protocol it does not hand over).
        public static let unsupported = Code(name: "unsupported")
        /// The provider refused the material for a documented reason (no service, not active,
        /// expired, another protocol, the server full, a configuration that failed).
        public static let unavailable = Code(name: "unavailable")
        /// The provider does not know the server (404).
        public static let notFound = Code(name: "not-found")
        /// The code's name.
        public var description: String { name }
    }

    /// The kind.
    public var code: Code
    /// The one-line reason.
    public var message: String

    /// An error; newlines in `message` become spaces so it stays one line, every known secret is
    /// masked (``Redaction``), control characters are escaped and the line is cut at 300 characters.
    public init(_ code: Code, _ message: String) {
        self.code = code
        let oneLine = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        self.message = SafeText.line(Redaction.redact(oneLine), limit: 300)
    }

    /// The message.
    public var description: String { message }
}
