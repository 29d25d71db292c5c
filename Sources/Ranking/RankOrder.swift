/// A ranking as indices into the candidates given, best first, with each candidate's figures.
///
/// ``Ranker/order(_:weights:filter:)`` returns it; ``Ranker/rank(_:weights:filter:)`` turns it
/// into ``RankedCandidate`` values. `scores`, `terms` and `exclusions` are indexed by input position.
package struct RankOrder: Hashable, Sendable {
    /// Input positions, best first.
    package var indices: [Int]
    /// Each input's score (`nil`: it did not answer or was left out).
    package var scores: [Double?]
    /// Each input's score term by term.
    package var terms: [ScoreTerms?]
    /// Why each input was left out, when it was.
    package var exclusions: [String?]

    /// A ranking.
    package init(indices: [Int], scores: [Double?], terms: [ScoreTerms?], exclusions: [String?]) {
        self.indices = indices
        self.scores = scores
        self.terms = terms
        self.exclusions = exclusions
    }

    /// The ranked candidate at `position` (0 for the best) of `candidates`, the array that was ranked.
    package func ranked(at position: Int, of candidates: [Candidate]) -> RankedCandidate {
        let index = indices[position]
        return RankedCandidate(candidate: candidates[index], inputIndex: index, score: scores[index], rank: position + 1,
                               terms: terms[index], excluded: exclusions[index])
    }
}
