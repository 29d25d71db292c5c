/// Summary figures of a target's RTT samples, in milliseconds.
public struct RTTStatistics: Hashable, Sendable, Codable {
    /// Smallest sample.
    public var min: Double
    /// Median (linear interpolation between the two middle samples).
    public var median: Double
    /// Arithmetic mean.
    public var mean: Double
    /// 90th percentile (linear interpolation, as numpy's default).
    public var p90: Double
    /// Largest sample.
    public var max: Double
    /// Sample standard deviation (n - 1); 0 for a single sample.
    public var stddev: Double
    /// Mean absolute difference of consecutive samples, in send order; 0 for a single sample.
    public var jitter: Double

    /// Field-wise initialiser.
    public init(min: Double, median: Double, mean: Double, p90: Double, max: Double, stddev: Double, jitter: Double) {
        self.min = min
        self.median = median
        self.mean = mean
        self.p90 = p90
        self.max = max
        self.stddev = stddev
        self.jitter = jitter
    }

    /// Figures for samples given in send order; `nil` when there are none.
    public init?(samplesInSendOrder samples: [Double]) {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        let count = Double(samples.count)
        let mean = samples.reduce(0, +) / count
        var squares = 0.0
        for value in samples { squares += (value - mean) * (value - mean) }
        var jitterSum = 0.0
        for index in samples.indices.dropFirst() { jitterSum += abs(samples[index] - samples[index - 1]) }
        self.min = sorted[0]
        self.max = sorted[sorted.count - 1]
        self.mean = mean
        self.median = Self.quantile(sorted, 0.5)
        self.p90 = Self.quantile(sorted, 0.9)
        self.stddev = samples.count > 1 ? (squares / (count - 1)).squareRoot() : 0
        self.jitter = samples.count > 1 ? jitterSum / (count - 1) : 0
    }

    /// The q-quantile of sorted values by linear interpolation (type 7).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let lower = Int(position)
        let upper = Swift.min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }
}
