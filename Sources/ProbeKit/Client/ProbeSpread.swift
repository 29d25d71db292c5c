import Prober

/// How `probe serve` spreads a round's probe starts across its period instead of sending them in
/// one burst at the period's start (smokeping_prober's RTTs inflate when a hundred hosts are
/// pinged at once; a burst also makes every round's traffic a spike the network sees).
///
/// Pure: the send rate that makes `probes` starts last `window`, never above the rate the user
/// allows. The window is half the period by default, leaving the other half for the last
/// probes' timeouts and the ranking, so a round still ends well inside its period.
package struct ProbeSpread: Hashable, Sendable {
    /// How long the starts of one round may take.
    package var window: Duration

    /// Starts spread over `window`.
    package init(window: Duration) {
        self.window = window
    }

    /// Spread over half of `period`, less the probe timeout (a probe sent at the window's end still
    /// ends within the period's first part); at least a tenth of the period.
    package init(period: Duration, timeoutMilliseconds: Int) {
        let half = period / 2
        let window = half - .milliseconds(timeoutMilliseconds)
        self.window = max(window, period / 10)
    }

    /// `options` for a round of `probes` starts: the spread rate, and the sockets that rate keeps
    /// open, unless the user capped them (`growsInFlight` false: `--max-in-flight`). At 10,000
    /// targets a round's probes at a few thousand a second, each open up to its timeout, need more
    /// than the default 256, or the round outlasts its period. The result does not grow further:
    /// the spread sized it for its rate already.
    package func fit(_ options: ProbeOptions, probes: Int) -> ProbeOptions {
        var fitted = options
        fitted.rate = rate(probes: probes, cap: options.rate)
        if options.growsInFlight {
            fitted.maxInFlight = inFlight(rate: fitted.rate, timeoutMilliseconds: options.timeoutMilliseconds, current: options.maxInFlight)
        }
        fitted.growsInFlight = false
        return fitted
    }

    /// The sockets `rate` keeps open when every probe lasts its whole timeout (the worst case), with
    /// a fifth more for bursts: at least `current`, which it only raises, and at most what a sweep
    /// keeps in flight (``InFlightBudget/maximumInFlight``).
    package func inFlight(rate: Int, timeoutMilliseconds: Int, current: Int) -> Int {
        guard rate > 0 else { return current }
        let needed = Int((Double(rate) * Double(timeoutMilliseconds) / 1_000 * 1.2).rounded(.up))
        return max(current, min(needed, InFlightBudget.maximumInFlight))
    }

    /// The send rate (probes per second) for `probes` starts in the window: at most `cap` (0 means
    /// no cap), at least 1. A round that fits the window at the cap keeps the cap.
    package func rate(probes: Int, cap: Int) -> Int {
        let seconds = ReportRenderer.milliseconds(window) / 1_000
        guard probes > 0, seconds > 0 else { return cap }
        let spread = max(1, Int((Double(probes) / seconds).rounded(.up)))
        return cap == 0 ? spread : min(cap, spread)
    }
}
