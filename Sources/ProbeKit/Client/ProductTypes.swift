public import Prober
public import ProviderFetch
public import Ranking
package import ProbeSystem

// The value types an orchestrator names when it configures a client and reads its report, under
// ProbeKit's name: `import ProbeKit` is the one import it needs, and these are the whole of what
// it sees of the layers below (no `@_exported`: nothing else of Prober, Ranking or ProviderFetch
// is a promise).

/// How probes run: in-flight limit, rate, timeout, samples, interval, ICMP socket.
public typealias ProbeOptions = Prober.ProbeOptions
/// A probe option that cannot be used, in one line.
public typealias ProbeOptionsError = Prober.ProbeOptionsError
/// Which ICMP socket to use: `auto`, `ping` or `raw`.
public typealias ICMPSocketPreference = Prober.ICMPSocketPreference
/// Which address of a host name is probed (`--family`).
public typealias AddressFamilyChoice = Prober.AddressFamilyChoice
/// Which ICMP socket was used.
public typealias ICMPSocketKind = Prober.ICMPSocketKind
/// A target: host and port as given.
public typealias ProbeTarget = Prober.ProbeTarget
/// Why a target could not be read.
public typealias TargetParseError = Prober.TargetParseError
/// Round-trip figures: min, median, mean, p90, max, stddev, jitter.
public typealias RTTStatistics = Prober.RTTStatistics
/// The sweep's own figures.
public typealias SweepSummary = Prober.SweepSummary
/// What each figure costs in the score.
public typealias RankingWeights = Ranking.RankingWeights
/// A ranking setting that cannot be used.
public typealias RankingError = Ranking.RankingError
/// Which servers may win: countries, providers, protocols, exclusions.
public typealias CandidateFilter = Ranking.CandidateFilter
/// When a challenger replaces the sticky choice.
public typealias StickyPolicy = Ranking.StickyPolicy
/// A score, term by term.
public typealias ScoreTerms = Ranking.ScoreTerms
/// A provider's server, normalised.
public typealias Server = ProviderFetch.Server
/// A server's connection fields, kept in memory and never shown.
public typealias ServerSecrets = ProviderFetch.ServerSecrets
/// A provider account's state.
public typealias AccountState = ProviderFetch.AccountState
/// One file of a connection's material (its contents never printed).
public typealias MaterialFile = ProviderFetch.MaterialFile

// What the `probe` command (in this package) uses of the layers below; not part of the product.
package typealias ProviderConfiguration = ProviderFetch.ProviderConfiguration
package typealias ProviderError = ProviderFetch.ProviderError
package typealias ProviderOutcome = ProviderFetch.ProviderOutcome
package typealias Redaction = ProviderFetch.Redaction
package typealias AtomicFile = ProbeSystem.AtomicFile
/// The one way a figure in a reason or a note is written (`12`, `12.5`).
package typealias DecimalText = Ranking.DecimalText
package typealias JSONValue = ProviderFetch.JSONValue
package typealias RankedCandidate = Ranking.RankedCandidate
package typealias LoopbackListener = Prober.LoopbackListener
package typealias ProbeKind = Prober.ProbeKind
package typealias TargetState = Prober.TargetState

/// The allocator policy the `probe` executable sets at start (not part of the product).
package typealias ProcessMemory = Prober.ProcessMemory
/// The descriptor limit the executables raise at start, as nmap does (not part of the product).
package typealias FileDescriptorBudget = Prober.FileDescriptorBudget
