package import Ranking

/// The choice of earlier runs and the rule for replacing it, for the ranking step.
package struct StickyInput: Sendable {
    /// The state file's contents.
    package var state: StickyState
    /// When a challenger replaces the incumbent.
    package var policy: StickyPolicy

    package init(state: StickyState, policy: StickyPolicy) {
        self.state = state
        self.policy = policy
    }
}
