/// The weights of the score. Defaults are sane for picking a VPN or proxy server.
public struct RankingWeights: Hashable, Sendable, Codable {
    /// Milliseconds added per unit of loss (default 500: one lost probe of three costs ~167 ms).
    public var lossPenaltyMilliseconds: Double

    /// Weights with the defaults, or the values given.
    public init(lossPenaltyMilliseconds: Double = 500) {
        self.lossPenaltyMilliseconds = lossPenaltyMilliseconds
    }
}
