import ProviderFetch
import Ranking

extension ProbeReport {
    /// Gives every entry the configured labels that apply to it (see ``LabelRule``): its
    /// provider's own, then each rule matching its name, target, host or id, later ones winning.
    mutating func applyLabels(_ rules: [LabelRule]) {
        guard !rules.isEmpty else { return }
        ranked = ranked.map { $0.labelled(by: rules) }
        best = best.map { $0.labelled(by: rules) }
    }
}

extension ReportEntry {
    /// This entry with the labels of `rules` that apply to it (unchanged when none does).
    func labelled(by rules: [LabelRule]) -> ReportEntry {
        var names = [target, host]
        if let server { names += [server.name, server.id] }
        var labels: [String: String] = [:]
        for rule in rules {
            if let provider = rule.provider {
                guard server?.provider == provider else { continue }
            } else if !rule.patterns.contains(where: { pattern in names.contains { CandidateFilter.matches($0, pattern) } }) {
                continue
            }
            for label in rule.labels { labels[label.name] = label.value }
        }
        guard !labels.isEmpty else { return self }
        var entry = self
        entry.labels = labels
        return entry
    }
}
