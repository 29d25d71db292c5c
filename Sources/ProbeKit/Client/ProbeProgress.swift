/// How far a run has come, for a progress line.
public struct ProbeProgress: Hashable, Sendable {
    /// What is going on.
    public enum Phase: String, Hashable, Sendable {
        /// Fetching providers' server lists.
        case fetching
        /// Probing targets.
        case probing
    }

    /// The phase.
    public var phase: Phase
    /// Providers (fetching) or targets (probing) done.
    public var done: Int
    /// Of how many.
    public var total: Int

    /// A progress figure.
    public init(phase: Phase, done: Int, total: Int) {
        self.phase = phase
        self.done = done
        self.total = total
    }
}
