import Foundation
import Testing
import ProbeKit
import Prober
import Ranking

@Suite struct StreamingJSONEncoderTests {
    struct Tricky: Encodable {
        var text: String
        var optional: String?
        var numbers: [Double]
        var nested: [String: Int]
        var flag: Bool
        var int: Int
        enum CodingKeys: String, CodingKey { case text, optional, numbers, nested, flag, int }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(text, forKey: .text)
            try container.encode(optional, forKey: .optional)
            try container.encode(numbers, forKey: .numbers)
            try container.encode(nested, forKey: .nested)
            try container.encode(flag, forKey: .flag)
            try container.encode(int, forKey: .int)
        }
    }

    static func parsed(_ text: String) throws -> NSDictionary {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary)
    }

    @Test(arguments: [
        "plain", "quote \" and backslash \\", "new\nline\ttab\r", "\u{01}\u{1f} controls", "🇬🇧 UK | X1.5 | AMZ", "",
    ])
    func meansWhatJSONEncoderMeans(text: String) throws {
        let value = Tricky(text: text, optional: nil, numbers: [0, 1.5, -2, 0.001, 123_456.789, 1e-7],
                           nested: ["a": 1], flag: true, int: -42)
        let ours = try StreamingJSONEncoder().encode(value)
        let foundation = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
        #expect(try Self.parsed(ours) == Self.parsed(foundation))
    }

    @Test func keysComeInSchemaOrderAndNullsAreWritten() throws {
        let target = ProbeTarget(host: "127.0.0.1", port: 9)
        let result = TargetResult(index: 0, target: target, address: nil, samples: [])
        let ranked = RankedCandidate(candidate: Candidate(id: "x", status: .down, medianMilliseconds: nil, loss: 1),
                                     inputIndex: 0, score: nil, rank: 1)
        let json = try StreamingJSONEncoder().encode(ReportEntry(result: result, ranked: ranked, method: .tcp))
        #expect(json.hasPrefix("{\"rank\":1,\"target\":\"127.0.0.1:9\",\"host\":\"127.0.0.1\",\"address\":null,\"port\":9,"))
        #expect(json.contains("\"rtt_ms\":null,\"dns_ms\":null,\"timing\":null,\"score\":null,\"samples\":[]}"))
    }

    @Test func nonFiniteNumbersBecomeNull() throws {
        let json = try StreamingJSONEncoder().encode([Double.nan, .infinity, 2.5])
        #expect(json == "[null,null,2.5]")
    }
}
