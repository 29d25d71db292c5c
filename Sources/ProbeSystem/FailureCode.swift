/// What kind of failure an error is: an extensible code (a name), as swift-service-lifecycle and
/// swift-nio spell theirs, written once for every error type of probe. `Domain` is the error type
/// the code belongs to, so a provider's code never compares equal to a client call's.
///
/// Each error type names its codes in a constrained extension (`extension FailureCode where
/// Domain == ProbeClientError { static var configuration: Self { ... } }`).
public struct FailureCode<Domain>: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
    /// The code's name (`configuration`, `no-targets`, ...).
    public var rawValue: String
    /// A code of this name.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// The name.
    public var description: String { rawValue }
}
