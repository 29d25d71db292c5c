import SafeText

/// Why a provider could not be fetched, in one line that never holds a secret.
package struct ProviderError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure (extensible, as in swift-service-lifecycle).
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// The configuration is missing a field or has a bad value.
        package static let configuration = Code(name: "configuration")
        /// Login was refused (bad credentials, expired token that could not be renewed).
        package static let authentication = Code(name: "authentication")
        /// The account is suspended.
        package static let suspended = Code(name: "suspended")
        /// The provider answered with an HTTP error status.
        package static let http = Code(name: "http")
        /// No answer in time.
        package static let timeout = Code(name: "timeout")
        /// The connection failed.
        package static let network = Code(name: "network")
        /// The answer was larger than probe accepts.
        package static let tooLarge = Code(name: "too-large")
        /// The answer was not JSON (an HTML challenge page, say).
        package static let notJSON = Code(name: "not-json")
        /// The answer was JSON, but broken.
        package static let malformedJSON = Code(name: "malformed-json")
        /// The JSON did not have the documented shape.
        package static let unexpectedShape = Code(name: "unexpected-shape")
        /// The provider reported an error of its own (`ret` not 1, `success: false`, ...).
        package static let provider = Code(name: "provider")
        /// A redirect, or a URL an answer handed back, points outside the provider's origin (or
        /// redirects went on too long): not followed, so the credentials stay where they belong.
        package static let redirect = Code(name: "redirect")
        /// The provider gives no connection material for this server (a static list, a generic
        /// JSON provider without a `connect` section, a protocol it does not hand over).
        package static let unsupported = Code(name: "unsupported")
        /// The provider refused the material for a documented reason (no service, not active,
        /// expired, another protocol, the server full, a configuration that failed).
        package static let unavailable = Code(name: "unavailable")
        /// The provider does not know the server (404).
        package static let notFound = Code(name: "not-found")
        /// The code's name.
        package var description: String { name }
    }

    /// The kind.
    package var code: Code
    /// The provider it concerns, when the error is about one provider's configuration.
    package var provider: String?
    /// The one-line reason, without the provider's name (where the provider is named already).
    package var reason: String
    /// The one-line message: `provider 'vs': reason`, or the reason alone.
    package var message: String { provider.map { "provider '\($0)': \(reason)" } ?? reason }

    /// An error; newlines in `message` become spaces so it stays one line, every known secret is
    /// masked (``Redaction``), control characters are escaped and the line is cut at 300 characters.
    package init(_ code: Code, _ message: String, provider: String? = nil) {
        self.code = code
        self.provider = provider
        let oneLine = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        reason = SafeText.line(Redaction.redact(oneLine), limit: 300)
    }

    /// The message.
    package var description: String { message }

    /// Two errors are the same when their kind and their message are.
    package static func == (lhs: ProviderError, rhs: ProviderError) -> Bool { lhs.code == rhs.code && lhs.message == rhs.message }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
    }
}
