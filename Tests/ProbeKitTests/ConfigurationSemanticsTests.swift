import Foundation
import Testing
@testable import ProbeKit
import Ranking

/// The configuration file means the same to `probe` and to an orchestrator: ProbeKit, not the
/// CLI, applies its `ranking` section (defaults, then the file, then what the caller sets).
@Suite struct ConfigurationSemanticsTests {
    static func file(_ ranking: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("probe-ranking-\(UUID().uuidString).json").path
        try #"{"providers": [], "ranking": \#(ranking)}"#.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theFilesRankingSectionAppliesUnderWhatTheCallerSets() throws {
        let path = try Self.file(#"{"lossPenaltyMs": 100, "loadKnee": 0.8, "capacityCapMs": 20}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var configuration = ProbeClient.Configuration(providersFile: path)
        let fromFile = try ProbeClient(configuration: configuration).effectiveSession().ranking
        #expect(fromFile.lossPenaltyMilliseconds == 100 && fromFile.loadKnee == 0.8 && fromFile.capacityCapMilliseconds == 20)
        configuration.probing.ranking.lossPenaltyMilliseconds = 250  // a flag
        let flagged = try ProbeClient(configuration: configuration).effectiveSession().ranking
        #expect(flagged.lossPenaltyMilliseconds == 250 && flagged.loadKnee == 0.8)
    }

    @Test(arguments: [(#"{"lossPenaltyMs": -1}"#, "ranking.lossPenaltyMs must be a number of 0 or more"),
                      (#"{"loadKnee": 1}"#, "ranking.loadKnee must be below 1"),
                      (#"{"jitterWeight": "high"}"#, "ranking.jitterWeight must be a number of 0 or more"),
                      (#"{"speed": 1}"#, "ranking.speed is not a ranking setting (lossPenaltyMs, jitterWeight, tailWeight, loadPenaltyMs, slotsPenaltyMs, loadKnee, slotsThreshold, slotsThresholdShare, capacityCapMs, capacityCapShare)")])
    func aBadRankingSectionIsOneLine(section: String, message: String) throws {
        let path = try Self.file(section)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ProbeClientError(.configuration, message)) { try ProbeClient(configuration: .init(providersFile: path)).effectiveSession() }
    }

    @Test func oneSetOfKeyNamesAndTheOldOnesStillRead() throws {
        let weights = RankingWeights(lossPenaltyMilliseconds: 10, loadKnee: 0.5)
        let text = String(decoding: try JSONEncoder().encode(weights), as: UTF8.self)
        #expect(text.contains(#""lossPenaltyMs":10"#) && text.contains(#""loadKnee":0.5"#))
        let legacy = try JSONDecoder().decode(RankingWeights.self, from: Data(#"{"lossPenaltyMilliseconds": 42}"#.utf8))
        #expect(legacy.lossPenaltyMilliseconds == 42)
    }
}
