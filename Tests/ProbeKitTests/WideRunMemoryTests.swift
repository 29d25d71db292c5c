import Foundation
@testable import ProbeKit
import Prober
import Ranking
import Testing

/// What a wide run holds per server (issue 27: a 10,000-port sweep at most 22 MB peak RSS): the
/// values kept for every target stay small, their out-of-line parts behave as values, and the
/// targets list is sized to what it holds.
@Suite struct WideRunMemoryTests {
    static func service(_ port: UInt16) throws -> HandshakeService {
        let keys = try #require(WireGuardKeys(privateKey: Array(repeating: 7, count: 32), serverPublicKey: Array(repeating: 9, count: 32)))
        return HandshakeService(port: port, material: .wireguard(keys))
    }

    /// Each target is copied into its result and each result is held to the report: these sizes are
    /// what 10,000 of them cost (48 and 216 bytes; they were 112 and 304).
    @Test func perTargetValuesStaySmall() {
        #expect(MemoryLayout<ProbeTarget>.stride <= 48)
        #expect(MemoryLayout<Prober.Measurement?>.stride <= 32)
        #expect(MemoryLayout<TargetResult>.stride <= 216)
        #expect(MemoryLayout<ScoreTerms?>.stride <= 56)
    }

    @Test func aTargetsHandshakeServiceIsAValue() throws {
        var target = ProbeTarget(host: "198.18.1.1", port: 443)
        target.handshake = try Self.service(51_820)
        var copy = target
        copy.handshake?.refusal = "a local interface holds this key"
        #expect(target.handshake?.refusal == nil)
        #expect(copy.handshake?.refusal == "a local interface holds this key")
        #expect(copy != target)
        // Equal services make equal targets, whichever box holds them.
        var twin = ProbeTarget(host: "198.18.1.1", port: 443)
        twin.handshake = try Self.service(51_820)
        #expect(twin == target)
        #expect(twin.hashValue == target.hashValue)
        twin.handshake = nil
        #expect(twin != target)
        #expect(twin == ProbeTarget(host: "198.18.1.1", port: 443))
    }

    @Test func theRulesOfScoreTermsAreValuesAndEncodeAsBefore() throws {
        let candidate = Candidate(id: "a", status: .up, medianMilliseconds: 30, loss: 0, provider: "p", load: 95, loadKind: .percent)
        let terms = try #require(ScoreTerms(candidate, weights: RankingWeights()))
        let ruled = try #require(terms.loadRule)
        var copy = terms
        copy.loadRule = nil
        copy.slotsRule = "3 of 250 slots free"
        #expect(terms.loadRule == ruled)
        #expect(terms.slotsRule == nil)
        #expect(copy.slotsRule == "3 of 250 slots free")
        // Keys in the README's order (as the report writes them), the rules only when present, and
        // read back as they were.
        var written: [UInt8] = []
        try StreamingJSONEncoder().encode(terms, into: &written)
        let text = String(decoding: written, as: UTF8.self)
        let encoder = JSONEncoder()
        let keys = ["\"median\"", "\"loss\"", "\"jitter\"", "\"tail\"", "\"load\"", "\"slots\"", "\"load_rule\""]
        let positions = keys.compactMap { text.range(of: $0)?.lowerBound }
        #expect(positions.count == keys.count)
        #expect(positions == positions.sorted())
        #expect(!text.contains("slots_rule"))
        #expect(try JSONDecoder().decode(ScoreTerms.self, from: try encoder.encode(terms)) == terms)
        let plain = try #require(ScoreTerms(Candidate(id: "b", status: .up, medianMilliseconds: 30, loss: 0), weights: RankingWeights()))
        let plainText = String(decoding: try encoder.encode(plain), as: UTF8.self)
        #expect(!plainText.contains("rule") && !plainText.contains("capped"))
        #expect(try JSONDecoder().decode(ScoreTerms.self, from: Data(plainText.utf8)) == plain)
    }

    @Test func aTargetsListHoldsRoomForWhatItHoldsOnly() {
        let lines = (0..<10_000).map { "127.1.\($0 / 250).\($0 % 250 + 1):9" }
        let wide = TargetList.parse(lines.joined(separator: "\n") + "\n", source: "t")
        #expect(wide.targets.count == 10_000)
        #expect(wide.errors.isEmpty)
        #expect(wide.targets.capacity < 10_000 + 256)  // malloc's size class, not a doubling to 16,384
        // Mostly comments: the room for every line is given back.
        let commented = Array(repeating: "# a comment", count: 50_000) + ["127.0.0.1:1", "127.0.0.2:2", "", "127.0.0.3:3"]
        let few = TargetList.parse(commented.joined(separator: "\n"), source: "c")
        #expect(few.targets.map(\.text) == ["127.0.0.1:1", "127.0.0.2:2", "127.0.0.3:3"])
        #expect(few.targets.capacity <= 2 * 3 + 64)
        // Line numbers are still the file's, with or without a final newline.
        let bad = TargetList.parse("127.0.0.1:1\n\nnot a host!\n", source: "b")
        #expect(bad.errors.map(\.source) == ["b:3"])
        #expect(TargetList.parse("", source: "e").targets.isEmpty)
        #expect(TargetList.parse("127.0.0.9:9", source: "n").targets.map(\.text) == ["127.0.0.9:9"])
    }
}
