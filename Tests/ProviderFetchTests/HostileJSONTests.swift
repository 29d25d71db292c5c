import Foundation
import Testing
@testable import ProviderFetch

/// Hostile provider answers: numbers out of range, NaN, duplicate keys, deep nesting, and wrong
/// types in every field of every provider's documented shape. Each is a value or a one-line
/// error: never a crash, never a hang, never a partial provider taking the others down.
@Suite struct HostileJSONTests {
    @Test(arguments: [
        (#"[1e400]"#, false), (#"{"load": NaN}"#, false), (#"[-Infinity]"#, false), (#"{"a":1,"a":2}"#, true),
        (#"{"a": "\ud800"}"#, true), (#"[1, 2"#, false), (#"{"a" 1}"#, false), ("", false), (#""\u0000""#, true),
        (String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000), false),
        (String(repeating: #"{"a":"#, count: 100_000) + "1" + String(repeating: "}", count: 100_000), false),
        (String(repeating: "[", count: 511) + String(repeating: "]", count: 511), true),
    ])
    func theParserAnswersEveryDocumentInOneLine(text: String, valid: Bool) {
        do {
            let value = try JSONValue.parse(Data(text.utf8))
            #expect(valid, "parsed \(value)")
            if text.hasPrefix(#"{"a":1,"#) { #expect(value["a"]?.int == 2) }  // duplicate keys: the last one wins
        } catch {
            #expect(!valid)
            #expect(!error.message.contains("\n") && error.message.count < 200)
        }
    }

    /// Every path of a JSON value (object keys and array indices), depth first.
    static func paths(_ value: JSONValue, prefix: [String] = []) -> [[String]] {
        switch value {
        case .object(let members): return members.keys.sorted().flatMap { [prefix + [$0]] + paths(members[$0] ?? .null, prefix: prefix + [$0]) }
        case .array(let items): return items.indices.flatMap { [prefix + [String($0)]] + paths(items[$0], prefix: prefix + [String($0)]) }
        default: return []
        }
    }

    /// `value` with the element at `path` replaced by `replacement`.
    static func replacing(_ value: JSONValue, at path: ArraySlice<String>, with replacement: JSONValue) -> JSONValue {
        guard let head = path.first else { return replacement }
        switch value {
        case .object(var members):
            members[head] = replacing(members[head] ?? .null, at: path.dropFirst(), with: replacement)
            return .object(members)
        case .array(var items):
            guard let index = Int(head), items.indices.contains(index) else { return value }
            items[index] = replacing(items[index], at: path.dropFirst(), with: replacement)
            return .array(items)
        default: return value
        }
    }

    static let wrongValues: [JSONValue] = [.null, .bool(true), .number(1e308), .number(-1), .number(0.5), .string(""),
                                           .string(String(repeating: "\u{1B}[2J", count: 300)), .array([]), .object([:])]

    static let documented: [(String, String, @Sendable (JSONValue) throws(ProviderError) -> Int)] = [
        ("xmplus servers", DecoderTests.xmplusServers, { json throws(ProviderError) in try ProviderDecoders.xmplusServers(json, provider: "xm").count }),
        ("xmplus token", #"{"ret":1,"data":{"token":"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3MDAwMDAwMDB9.c2ln"}}"#,
         { json throws(ProviderError) in try ProviderDecoders.xmplusToken(json).count }),
        ("xmplus stats", #"{"ret":1,"info":{"onlineip":"0/2","expire_at":"2220-04-15 08:18:51"},"data":{"used":"1 G","remaining":"99 G","total":"100 G"}}"#,
         { json throws(ProviderError) in try ProviderDecoders.xmplusAccount(json).status.count }),
        ("vpnscript page", DecoderTests.vpnscriptPage, { json throws(ProviderError) in try ProviderDecoders.vpnscriptServers(json, provider: "vs").servers.count }),
        ("vpnscript token", #"{"success":true,"message":null,"token":"12|abc"}"#, { json throws(ProviderError) in try ProviderDecoders.vpnscriptToken(json, status: 200).count }),
        ("vpnscript account", #"{"success":true,"data":{"status":2,"suspend_reason":null,"service":[{"id":1,"status":"Active","next_payment":"2030-01-01"}]}}"#,
         { json throws(ProviderError) in try ProviderDecoders.vpnscriptAccount(json).status.count }),
        ("netmimic login", #"{"token":"t","device_id":7}"#, { json throws(ProviderError) in try ProviderDecoders.netmimicLogin(json, status: 200, sentDeviceID: .string("x")).token.count }),
        ("netmimic servers", #"{"data":[{"id":"a","name":"Amsterdam","country":"NL","city":"Amsterdam","api_url":"http://127.0.2.1:8443/ping","active_connections":"12"}]}"#,
         { json throws(ProviderError) in try ProviderDecoders.netmimicServers(json, provider: "nm", fields: .lenient).count }),
        ("xpay token", #"{"success":{"message":"Authenticated","data":{"success":true,"expiresAt":1700000000000,"ticket":"t","access_token":"x"},"uuid":"u"}}"#,
         { json throws(ProviderError) in try ProviderDecoders.xpayToken(json).token.count }),
        ("generic servers", #"{"success":{"data":{"items":[{"host":"127.0.3.1","port":"443","label":"XP one","region":"FR","load":"0.3"}]}}}"#,
         { json throws(ProviderError) in try ProviderDecoders.genericServers(json, items: "success.data.items", provider: "xp", fields: .lenient).count }),
    ]

    @Test(arguments: 0..<documented.count)
    func wrongTypesInEveryFieldAreAValueOrOneLine(index: Int) throws {
        let (name, text, decode) = Self.documented[index]
        let original = try JSONValue.parse(Data(text.utf8))
        var cases = 0
        for path in Self.paths(original) {
            for wrong in Self.wrongValues {
                cases += 1
                do {
                    _ = try decode(Self.replacing(original, at: path[...], with: wrong))
                } catch {
                    #expect(!error.message.contains("\n") && !error.message.contains("\u{1B}") && error.message.count <= 301,
                            "\(name) at \(path.joined(separator: ".")): \(error.message)")
                }
            }
        }
        #expect(cases > 10, "\(name): \(cases) cases")
    }

    static let serverLists: [(String, String, @Sendable (JSONValue, ServerProblems) throws(ProviderError) -> Int)] = [
        ("xmplus servers", DecoderTests.xmplusServers,
         { json, problems throws(ProviderError) in try ProviderDecoders.xmplusServers(json, provider: "xm", problems: problems).count }),
        ("vpnscript page", DecoderTests.vpnscriptPage,
         { json, problems throws(ProviderError) in try ProviderDecoders.vpnscriptServers(json, provider: "vs", problems: problems).servers.count }),
        ("netmimic servers", #"{"data":[{"id":"a","name":"Amsterdam","country":"NL","city":"Amsterdam","api_url":"http://127.0.2.1:8443/ping","active_connections":"12"}]}"#,
         { json, problems throws(ProviderError) in try ProviderDecoders.netmimicServers(json, provider: "nm", fields: .lenient, problems: problems).count }),
        ("generic servers", #"{"success":{"data":{"items":[{"host":"127.0.3.1","port":"443","label":"XP one","region":"FR","load":"0.3"}]}}}"#,
         { json, problems throws(ProviderError) in try ProviderDecoders.genericServers(json, items: "success.data.items", provider: "xp", fields: .lenient, problems: problems).count }),
        ("static list", #"[{"host":"127.0.3.1","port":443,"name":"one","wg_available_slots":3,"wg_slots":10,"load":0.5}]"#,
         { json, problems throws(ProviderError) in try ProviderDecoders.staticServers(json.serialized(), provider: "st", problems: problems).count }),
    ]

    /// A server entry never disappears silently: with any field of any entry of a documented list
    /// given a wrong type, every server is either decoded or skipped with a line naming it; a
    /// figure of the wrong type is a line too ("ignored"), and the server stays.
    @Test(arguments: 0..<serverLists.count)
    func aServerWithAWrongTypeIsDecodedOrNamedInALine(index: Int) throws {
        let (name, text, decode) = Self.serverLists[index]
        let original = try JSONValue.parse(Data(text.utf8))
        let all = try decode(original, ServerProblems())
        #expect(all > 0)
        for path in Self.paths(original) where path.contains(where: { Int($0) != nil }) {
            for wrong in Self.wrongValues {
                let problems = ServerProblems()
                let where_ = "\(name) at \(path.joined(separator: ".")) = \(wrong)"
                guard let count = try? decode(Self.replacing(original, at: path[...], with: wrong), problems) else { continue }
                let skipped = problems.lines.filter { $0.hasSuffix(": skipped") }.count
                #expect(count + skipped == all, "\(where_): \(count) decoded, lines \(problems.lines)")
                for line in problems.lines {
                    #expect(line.hasPrefix("server #") && !line.contains("\n") && !line.contains("\u{1B}") && line.count < 200, "\(where_): \(line)")
                }
            }
        }
    }

    @Test func theLinesNameTheEntryAndWhatIsWrong() throws {
        let list = #"""
        [{"host":"127.0.3.1","port":443}, "text", {"host":7,"port":443}, {"host":"127.0.3.2","port":"https"},
         {"host":"127.0.3.3","port":443,"wg_available_slots":"many"}, {"name":"no host"}, {"host":"127.0.3.4","port":70000}]
        """#
        let problems = ServerProblems()
        let servers = try ProviderDecoders.staticServers(Data(list.utf8), provider: "st", problems: problems)
        #expect(servers.map(\.host) == ["127.0.3.1", "127.0.3.3"])
        #expect(servers.last?.wgAvailableSlots == nil)
        #expect(problems.lines == [
            "server #2 is text, not an object: skipped",
            "server #3: 'host' is a number, not a host name or address: skipped",
            "server #4 (127.0.3.2): 'port' 'https' is not a port number (1-65535): skipped",
            "server #5 (127.0.3.3): 'wg_available_slots' 'many' is not a number: ignored",
            "server #6 names no host (host, hostname, ip, ipaddr): skipped",
            "server #7 (127.0.3.4): 'port' 70000 is not a port number (1-65535): skipped",
        ])
        // Beyond 20 lines the rest are counted.
        let many = ServerProblems()
        _ = try ProviderDecoders.staticServers(Data(("[" + Array(repeating: "1", count: 50).joined(separator: ",") + "]").utf8), provider: "st", problems: many)
        #expect(many.count == 50 && many.lines.count == 20)
        #expect(many.summary.last == "... and 30 more problem(s) in the server list")
    }
}
