public import ProbeSystem

/// Why a client call failed as a whole (a provider or a target failing alone is in the report's
/// `errors` instead). Codes are extensible.
public struct ProbeClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure (extensible: ``FailureCode``).
    public typealias Code = FailureCode<ProbeClientError>

    /// The kind.
    public var code: Code
    /// One line: what failed and what to do.
    public var message: String

    /// An error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

/// The codes of a client call's failure.
extension FailureCode where Domain == ProbeClientError {
    /// The providers file cannot be read or is not valid.
    public static var configuration: Self { Self(rawValue: "configuration") }
    /// Nothing to probe.
    public static var noTargets: Self { Self(rawValue: "no-targets") }
    /// The calling task was cancelled.
    public static var cancelled: Self { Self(rawValue: "cancelled") }
    /// A provider refused an operation (a logout).
    public static var provider: Self { Self(rawValue: "provider") }
    /// The process may not open enough files (`ulimit -n`) to probe at all.
    public static var descriptorLimit: Self { Self(rawValue: "descriptor-limit") }
    /// A best server was found, but no connection material could be had for it (nor for a
    /// fallback), or a connection directory cannot be written, read or released.
    public static var connection: Self { Self(rawValue: "connection") }
    /// A server named by the caller is not among its provider's servers.
    public static var unknownServer: Self { Self(rawValue: "unknown-server") }
}
