package import ProbeSystem
import SafeText

/// Why a provider could not be fetched, in one line that never holds a secret.
package struct ProviderError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure (extensible: ``FailureCode``).
    package typealias Code = FailureCode<ProviderError>

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

/// The codes of a provider's failure.
extension FailureCode where Domain == ProviderError {
    /// The configuration is missing a field or has a bad value.
    package static var configuration: Self { Self(rawValue: "configuration") }
    /// Login was refused (bad credentials, expired token that could not be renewed).
    package static var authentication: Self { Self(rawValue: "authentication") }
    /// The account is suspended.
    package static var suspended: Self { Self(rawValue: "suspended") }
    /// The provider answered with an HTTP error status.
    package static var http: Self { Self(rawValue: "http") }
    /// No answer in time.
    package static var timeout: Self { Self(rawValue: "timeout") }
    /// The connection failed.
    package static var network: Self { Self(rawValue: "network") }
    /// The answer was larger than probe accepts.
    package static var tooLarge: Self { Self(rawValue: "too-large") }
    /// The answer was not JSON (an HTML challenge page, say).
    package static var notJSON: Self { Self(rawValue: "not-json") }
    /// The answer was JSON, but broken.
    package static var malformedJSON: Self { Self(rawValue: "malformed-json") }
    /// The JSON did not have the documented shape.
    package static var unexpectedShape: Self { Self(rawValue: "unexpected-shape") }
    /// The provider reported an error of its own (`ret` not 1, `success: false`, ...).
    package static var provider: Self { Self(rawValue: "provider") }
    /// A redirect, or a URL an answer handed back, points outside the provider's origin (or
    /// redirects went on too long): not followed, so the credentials stay where they belong.
    package static var redirect: Self { Self(rawValue: "redirect") }
    /// The provider gives no connection material for this server (a static list, a generic
    /// JSON provider without a `connect` section, a protocol it does not hand over).
    package static var unsupported: Self { Self(rawValue: "unsupported") }
    /// The provider refused the material for a documented reason (no service, not active,
    /// expired, another protocol, the server full, a configuration that failed).
    package static var unavailable: Self { Self(rawValue: "unavailable") }
    /// The provider does not know the server (404).
    package static var notFound: Self { Self(rawValue: "not-found") }
}
