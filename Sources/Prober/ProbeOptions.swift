/// How a sweep runs: parallelism, pacing, timeout and sampling.
public struct ProbeOptions: Hashable, Sendable, Codable {
    /// Most sockets open at once (default 256). Also kept under `RLIMIT_NOFILE`.
    public var maxInFlight: Int
    /// Global send rate cap in probes per second (default 10,000); 0 means unlimited.
    public var rate: Int
    /// Per-probe timeout in milliseconds (default 1,000).
    public var timeoutMilliseconds: Int
    /// Samples per target (default 3).
    public var samples: Int
    /// Milliseconds between the starts of two samples to the same target (default 20).
    public var intervalMilliseconds: Int
    /// Which ICMP socket to use (default: a ping socket if allowed, else raw).
    public var icmpSocket: ICMPSocketPreference
    /// Which address of a host name is probed (default: the one the resolver orders first).
    public var family: AddressFamilyChoice = .any
    /// How long a name lookup may take before its target is reported unresolved (default 2,000 ms).
    public var dnsTimeoutMilliseconds: Int = 2_000
    /// Whether a sweep may keep more than `maxInFlight` probes in flight when its rate needs them
    /// (default `true`): `maxInFlight` is then where the sweep starts, and it grows to what keeps
    /// `rate` busy for the probes' hold times (rate × mean hold time, from the probes that end),
    /// within what `RLIMIT_NOFILE` leaves. `false` makes `maxInFlight` a hard cap (the CLI's
    /// `--max-in-flight`, a `maxInFlight` in a decoded configuration).
    public var growsInFlight = true

    /// Options with the documented defaults, or the values given.
    public init(
        maxInFlight: Int = 256,
        rate: Int = 10_000,
        timeoutMilliseconds: Int = 1_000,
        samples: Int = 3,
        intervalMilliseconds: Int = 20,
        icmpSocket: ICMPSocketPreference = .auto
    ) {
        self.icmpSocket = icmpSocket
        self.maxInFlight = maxInFlight
        self.rate = rate
        self.timeoutMilliseconds = timeoutMilliseconds
        self.samples = samples
        self.intervalMilliseconds = intervalMilliseconds
    }

    /// Checks every value, throwing a ``ProbeOptionsError`` that names the first bad one.
    public func validate() throws(ProbeOptionsError) {
        if maxInFlight < 1 || maxInFlight > 1_000_000 {
            throw ProbeOptionsError(option: "max-in-flight", reason: "must be between 1 and 1000000, got \(maxInFlight)")
        }
        if rate < 0 || rate > 10_000_000 {
            throw ProbeOptionsError(option: "rate", reason: "must be between 0 (unlimited) and 10000000, got \(rate)")
        }
        if timeoutMilliseconds < 1 || timeoutMilliseconds > 600_000 {
            throw ProbeOptionsError(option: "timeout", reason: "must be between 1 and 600000 ms, got \(timeoutMilliseconds)")
        }
        if samples < 1 || samples > 100_000 {
            throw ProbeOptionsError(option: "samples", reason: "must be between 1 and 100000, got \(samples)")
        }
        if intervalMilliseconds < 0 || intervalMilliseconds > 3_600_000 {
            throw ProbeOptionsError(option: "interval", reason: "must be between 0 and 3600000 ms, got \(intervalMilliseconds)")
        }
        if dnsTimeoutMilliseconds < 1 || dnsTimeoutMilliseconds > 600_000 {
            throw ProbeOptionsError(option: "dns-timeout", reason: "must be between 1 and 600000 ms, got \(dnsTimeoutMilliseconds)")
        }
    }
}

/// An option value out of range.
public struct ProbeOptionsError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The option's name as on the command line, without dashes.
    public var option: String
    /// What is wrong.
    public var reason: String
    /// `--timeout must be between ...`.
    public var description: String { "--\(option) \(reason)" }
}

extension ProbeOptions {
    enum CodingKeys: String, CodingKey {
        case maxInFlight, rate, timeoutMilliseconds, samples, intervalMilliseconds, icmpSocket, family, dnsTimeoutMilliseconds, growsInFlight
    }

    /// Reads the value; every key is optional and takes its default when missing.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ProbeOptions()
        maxInFlight = try container.value(.maxInFlight, or: defaults.maxInFlight)
        rate = try container.value(.rate, or: defaults.rate)
        timeoutMilliseconds = try container.value(.timeoutMilliseconds, or: defaults.timeoutMilliseconds)
        samples = try container.value(.samples, or: defaults.samples)
        intervalMilliseconds = try container.value(.intervalMilliseconds, or: defaults.intervalMilliseconds)
        icmpSocket = try container.value(.icmpSocket, or: defaults.icmpSocket)
        family = try container.value(.family, or: defaults.family)
        dnsTimeoutMilliseconds = try container.value(.dnsTimeoutMilliseconds, or: defaults.dnsTimeoutMilliseconds)
        // A maxInFlight written down is the writer's cap, unless the file says it may grow.
        growsInFlight = try container.value(.growsInFlight, or: !container.contains(.maxInFlight))
    }
}
