public import ArgumentParser
import SafeText
import FoundationEssentials
import Glibc
package import ProbeKit

/// Where targets come from.
package struct TargetInput: ParsableArguments {
    package init() {}

    @Argument(help: "Targets: host, host:port, [v6]:port (default port 443).")
    package var targets: [String] = []

    @Option(name: .customLong("targets"), help: ArgumentHelp("Read targets from a file, one per line ('#' comments; '-' for stdin).", valueName: "FILE"))
    package var targetsFile: String?

    @Flag(help: "Probe built-in demo listeners on loopback (no setup, no network).")
    package var demo = false

    @OptionGroup package var providers: ProviderInput

    /// The targets of the arguments alone and their errors.
    package func loadArguments() throws -> (targets: [ProbeTarget], errors: [ReportError]) {
        TargetList.parse(arguments: targets)
    }

    /// The targets and the per-line errors; throws a one-line usage error when the file cannot be read.
    package func load() throws -> (targets: [ProbeTarget], errors: [ReportError]) {
        var parsed = TargetList.parse(arguments: targets)
        if let path = targetsFile {
            do {
                let fromFile = try TargetList.read(path: path)
                // The file's array itself when no argument named a target (not a megabyte's copy).
                parsed.targets = parsed.targets.isEmpty ? fromFile.targets : parsed.targets + fromFile.targets
                parsed.errors += fromFile.errors
            } catch {
                throw ValidationError(error.description)
            }
        }
        return parsed
    }
}

/// Where providers are configured.
package struct ProviderInput: ParsableArguments {
    package init() {}

    @Option(help: ArgumentHelp(
        "Provider configuration (default: $XDG_CONFIG_HOME/probe/config.json or ~/.config/probe/config.json).",
        valueName: "FILE"))
    package var config: String?

    @Option(name: .customLong("from"), help: ArgumentHelp(
        "Servers you hold: a folder, .zip or file of wg-quick .conf, .ovpn, share links, Clash/mihomo YAML or sing-box JSON; '-' for stdin; or a subscription URL. NAME=SOURCE names it. Repeatable.",
        valueName: "SOURCE"))
    package var sources: [String] = []

    /// The configuration file to use: the one given, else the default one when it exists and
    /// `useDefault` (no explicit targets or sources were given).
    package func path(useDefault: Bool) -> String? {
        if let config { return config }
        guard useDefault, sources.isEmpty, let path = ProviderConfiguration.defaultPath(), FileManager.default.fileExists(atPath: path) else { return nil }
        return path
    }

    /// The client's configuration: the providers file (`useDefault` as ``path(useDefault:)``) and the sources.
    package func clientConfiguration(useDefault: Bool = true) -> ProbeClient.Configuration {
        ProbeClient.Configuration(providersFile: path(useDefault: useDefault), sources: sources)
    }

    /// Whether any provider is configured (a file or a source).
    package func configured(useDefault: Bool = true) -> Bool { path(useDefault: useDefault) != nil || !sources.isEmpty }
}

/// How to probe.
package struct ProbingOptions: ParsableArguments {
    package init() {}

    @Option(help: ArgumentHelp(
        "Probe method: auto (the VPN's own handshake where its keys are known, else TCP where the port is open, else ICMP), tcp, icmp, both, wireguard (handshake initiation, timed to the verified response), or openvpn (control-channel reset, timed to the server's).",
        valueName: "METHOD"))
    package var method: ProbeMethod = .auto

    @Flag(help: "Run WireGuard handshakes even for servers whose private key a local WireGuard interface holds (a handshake moves the server's idea of that peer's endpoint until the tunnel speaks again).")
    package var handshakeAnyway = false

    @Option(help: "ICMP socket: auto (unprivileged ping socket, else raw), ping, or raw.")
    package var icmpSocket: ICMPSocketPreference = .auto

    @Option(help: "Samples per target.")
    package var samples = ProbeOptions().samples

    @Option(help: ArgumentHelp(
        "Per-probe timeout in milliseconds. With --best's early answer, a finalist that qualified on its first answer gives up after \(EarlyAnswerPlan.finalistRule) instead: a later sample could not make it win (--explain says so).",
        valueName: "MS"))
    package var timeout = ProbeOptions().timeoutMilliseconds

    @Option(help: "Most sockets open at once, a hard cap (also kept under 'ulimit -n'). Default: \(ProbeOptions().maxInFlight) at the start, grown to what --rate keeps busy for the servers' round trips (rate × hold time); probe serve's spread rounds: as many as their rate keeps busy.")
    package var maxInFlight: Int?

    @Option(help: "Global send rate cap in probes per second (0 = unlimited).")
    package var rate = ProbeOptions().rate

    @Option(help: ArgumentHelp("Milliseconds between samples to the same target.", valueName: "MS"))
    package var interval = ProbeOptions().intervalMilliseconds

    @Option(help: ArgumentHelp(
        "Which address of a host name to probe: any (the one the resolver orders first), 4, 6, or both (one of each family, ranked as separate entries).",
        valueName: "FAMILY"))
    package var family: AddressFamilyChoice = ProbeOptions().family

    @Option(help: ArgumentHelp("A name not resolved within MS milliseconds is that target's error.", valueName: "MS"))
    package var dnsTimeout = ProbeOptions().dnsTimeoutMilliseconds

    @Flag(help: "With --best's early answer: wait for every name to resolve (by default a name still resolving when every other server has answered is reported unresolved).")
    package var awaitDns = false

    package var probeOptions: ProbeOptions {
        var options = ProbeOptions(maxInFlight: maxInFlight ?? ProbeOptions().maxInFlight, rate: rate, timeoutMilliseconds: timeout, samples: samples,
                                   intervalMilliseconds: interval, icmpSocket: icmpSocket)
        options.family = family
        options.dnsTimeoutMilliseconds = dnsTimeout
        // The user's --max-in-flight is a hard cap; without it a sweep grows to what --rate keeps busy.
        options.growsInFlight = maxInFlight == nil
        return options
    }

    package var earlyOptions: EarlyAnswerOptions { EarlyAnswerOptions(awaitNames: awaitDns) }

    /// The run's probing configuration with these ranking rules.
    package func configuration(ranking: RankingWeights, filter: CandidateFilter) -> ProbeConfiguration {
        var configuration = ProbeConfiguration(probe: probeOptions, method: method, ranking: ranking, filter: filter, early: earlyOptions)
        configuration.handshakeAnyway = handshakeAnyway
        return configuration
    }

    package func validate() throws {
        do {
            try probeOptions.validate()
        } catch {
            throw ValidationError(error.description)
        }
    }
}

/// How to rank: filters, weights, explanations.
package struct RankingOptions: ParsableArguments {
    package init() {}

    @Option(help: "Only servers in this country (name or ISO code; repeatable).")
    package var country: [String] = []

    @Option(help: "Only this provider's servers (repeatable).")
    package var provider: [String] = []

    @Option(name: .customLong("protocol"), help: "Only servers of this protocol (repeatable); with wireguard, full servers are left out.")
    package var protocols: [String] = []

    @Option(help: ArgumentHelp("Leave out servers by name, target, host or id ('*' wildcard; repeatable).", valueName: "PATTERN"))
    package var exclude: [String] = []

    @Flag(help: "Explain the choice: each term of the score for the best and the runners-up, and why servers were left out.")
    package var explain = false

    @Option(help: ArgumentHelp("Milliseconds per unit of loss (default \(Defaults.weights.lossPenaltyMilliseconds.shown)).", valueName: "MS"))
    package var lossPenalty: Double?

    @Option(help: "Milliseconds per millisecond of jitter (default \(Defaults.weights.jitterWeight.shown)).")
    package var jitterWeight: Double?

    @Option(help: "Milliseconds per millisecond that p90 lies above the median (default \(Defaults.weights.tailWeight.shown)).")
    package var tailWeight: Double?

    @Option(help: ArgumentHelp("Milliseconds for the busiest server of a provider, or a utilisation of 1.0 (default \(Defaults.weights.loadPenaltyMilliseconds.shown)).", valueName: "MS"))
    package var loadPenalty: Double?

    @Option(help: ArgumentHelp("Milliseconds as the last free WireGuard slot goes (default \(Defaults.weights.slotsPenaltyMilliseconds.shown)).", valueName: "MS"))
    package var slotsPenalty: Double?

    @Option(help: "Utilisation up to which load costs nothing (default \(Defaults.weights.loadKnee.shown)).")
    package var loadKnee: Double?

    @Option(help: "Free WireGuard slots below which they cost something (default \(Defaults.weights.slotsThreshold.shown); \((Defaults.weights.slotsThresholdShare * 100).shown)% of a known total).")
    package var slotsThreshold: Double?

    @Option(help: ArgumentHelp("Capacity terms add at most the larger of this and \((Defaults.weights.capacityCapShare * 100).shown)% of the median (default \(Defaults.weights.capacityCapMilliseconds.shown)).", valueName: "MS"))
    package var capacityCap: Double?

    @Option(help: ArgumentHelp("Where the choice is kept between runs (default $XDG_STATE_HOME/probe/state.json).", valueName: "FILE"))
    package var state: String?

    @Flag(help: "Pick the best of this run alone, ignoring and keeping no previous choice.")
    package var noSticky = false

    @Option(help: ArgumentHelp("A challenger must be better by this much to replace the choice (default \(Defaults.sticky.minimumGainMilliseconds.shown)).", valueName: "MS"))
    package var switchGain: Double?

    @Option(help: "...and score at most this share of the incumbent's (default \(Defaults.sticky.maximumRatio.shown)).")
    package var switchRatio: Double?

    @Option(help: ArgumentHelp("An incumbent scoring above this is replaced whatever the gain (default \(Defaults.sticky.ceilingMilliseconds.shown)).", valueName: "MS"))
    package var ceiling: Double?

    @Option(help: "Runs in a row a challenger must qualify in before it takes over (default \(Defaults.sticky.confirmations)).")
    package var confirm: Int?

    /// The sticky policy: the flags given, the defaults for the others (optional flags, so that
    /// `--help` names each default once, in its own words).
    package var stickyPolicy: StickyPolicy {
        StickyPolicy(minimumGainMilliseconds: switchGain ?? Defaults.sticky.minimumGainMilliseconds, maximumRatio: switchRatio ?? Defaults.sticky.maximumRatio,
                     ceilingMilliseconds: ceiling ?? Defaults.sticky.ceilingMilliseconds, confirmations: confirm ?? Defaults.sticky.confirmations)
    }

    /// The state file to use, `nil` when stickiness is off or no place is known.
    package var statePath: String? { noSticky ? nil : state ?? StateStore.defaultPath() }

    /// The state file of a demo run: `--state` when given, else `state-demo.json` beside the
    /// default one, so the demo's throwaway servers never enter the real choice and history.
    package var demoStatePath: String? {
        if noSticky { return nil }
        if let state { return state }
        return StateStore.defaultPath().map { $0.deletingLastPathComponent.appendingPathComponent("state-demo.json") }
    }

    package func validate() throws {
        let policy = stickyPolicy
        guard policy.minimumGainMilliseconds >= 0, policy.minimumGainMilliseconds.isFinite else { throw ValidationError("--switch-gain must be 0 or more") }
        guard policy.maximumRatio > 0, policy.maximumRatio <= 1 else { throw ValidationError("--switch-ratio must be above 0 and at most 1") }
        guard policy.ceilingMilliseconds > 0, policy.ceilingMilliseconds.isFinite else { throw ValidationError("--ceiling must be above 0") }
        guard (1...1_000).contains(policy.confirmations) else { throw ValidationError("--confirm must be between 1 and 1000") }
        try validateKnee()
        for (name, value) in [("loss-penalty", lossPenalty), ("jitter-weight", jitterWeight), ("tail-weight", tailWeight),
                              ("load-penalty", loadPenalty), ("slots-penalty", slotsPenalty), ("slots-threshold", slotsThreshold),
                              ("capacity-cap", capacityCap)] {
            if let value, !(value.isFinite && value >= 0 && value <= 1_000_000) {
                throw ValidationError("--\(name) must be between 0 and 1000000")
            }
        }
    }

    package func validateKnee() throws {
        if let loadKnee, !(loadKnee.isFinite && loadKnee >= 0 && loadKnee < 1) { throw ValidationError("--load-knee must be at least 0 and below 1") }
    }

    package var filter: CandidateFilter {
        CandidateFilter(countries: country, providers: provider, protocols: protocols, excluded: exclude)
    }

    /// Weights: the defaults and these flags (ProbeClient puts the configuration file's
    /// `ranking` section between the two).
    package var weights: RankingWeights {
        var weights = RankingWeights()
        weights.lossPenaltyMilliseconds = lossPenalty ?? weights.lossPenaltyMilliseconds
        weights.jitterWeight = jitterWeight ?? weights.jitterWeight
        weights.tailWeight = tailWeight ?? weights.tailWeight
        weights.loadPenaltyMilliseconds = loadPenalty ?? weights.loadPenaltyMilliseconds
        weights.slotsPenaltyMilliseconds = slotsPenalty ?? weights.slotsPenaltyMilliseconds
        weights.loadKnee = loadKnee ?? weights.loadKnee
        weights.slotsThreshold = slotsThreshold ?? weights.slotsThreshold
        weights.capacityCapMilliseconds = capacityCap ?? weights.capacityCapMilliseconds
        return weights
    }
}

/// How to print.
package struct OutputOptions: ParsableArguments {
    package init() {}

    @Flag(help: "Print one JSON object (its keys: the README's 'JSON schema', installed as share/doc/probe/README.md).")
    package var json = false

    @Flag(name: [.short, .long], help: "Print only the essentials: no notes or warnings on stderr.")
    package var quiet = false
}

extension ProbeMethod: ExpressibleByArgument {}
extension ICMPSocketPreference: ExpressibleByArgument {}
extension AddressFamilyChoice: ExpressibleByArgument {}
extension ReportFormat: ExpressibleByArgument {}

/// Every default is defined once, in the library; the flags' help shows it from there.
package enum Defaults {
    package static let weights = RankingWeights()
    package static let sticky = StickyPolicy()
}

extension Double {
    /// `0.667`, `30`: a default as help shows it.
    package var shown: String {
        if self == rounded(), abs(self) < 1e9 { return String(Int(self)) }
        return String((self * 1_000).rounded() / 1_000)
    }
}
