/// Why a client call failed as a whole (a provider or a target failing alone is in the report's
/// `errors` instead). Codes are extensible.
public struct ProbeClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public struct Code: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
        /// The code's name.
        public var rawValue: String
        /// A code.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The providers file cannot be read or is not valid.
        public static let configuration = Code(rawValue: "configuration")
        /// Nothing to probe.
        public static let noTargets = Code(rawValue: "no-targets")
        /// The calling task was cancelled.
        public static let cancelled = Code(rawValue: "cancelled")
        /// A provider refused an operation (a logout).
        public static let provider = Code(rawValue: "provider")
        /// The process may not open enough files (`ulimit -n`) to probe at all.
        public static let descriptorLimit = Code(rawValue: "descriptor-limit")
        /// A best server was found, but no connection material could be had for it (nor for a
        /// fallback), or a connection directory cannot be written, read or released.
        public static let connection = Code(rawValue: "connection")
        /// A server named by the caller is not among its provider's servers.
        public static let unknownServer = Code(rawValue: "unknown-server")
        /// The name.
        public var description: String { rawValue }
    }

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
