import Foundation
import Testing
import SafeText

/// The helpers that stand in for Foundation's string extensions in the `probe` binary (which
/// links FoundationEssentials only): checked against Foundation itself, here where tests may link it.
@Suite struct TextToolsTests {
    static let samples = ["", " ", "  a b  ", "\tx\t", "\n x \r\n", "\u{00A0}nbsp\u{3000}", "ü ", " 🇩🇪 ", "a\u{2028}", "\u{85}z\u{85}", "plain"]

    @Test(arguments: samples)
    func trimmingMatchesFoundation(_ text: String) {
        #expect(text.trimmingSpaces() == text.trimmingCharacters(in: .whitespaces))
        #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func replacingAllIsLiteralAndMasksInsideGraphemes() {
        #expect("a-b-c".replacingAll("-", with: "") == "abc")
        #expect("\"q\\\"".replacingAll("\\", with: "\\\\") == "\"q\\\\\"")
        #expect("line\r\nnext".replacingAll("\r\n", with: "\n") == "line\nnext")
        #expect("x{id}y{id}".replacingAll("{id}", with: "7") == "x7y7")
        // A secret followed by a combining mark is still masked (a grapheme match would miss it).
        #expect("token=abc\u{301}".replacingAll("abc", with: "[redacted]") == "token=[redacted]\u{301}")
        #expect("aaa".replacingAll("aa", with: "b") == "ba")
        #expect("abc".replacingAll("", with: "x") == "abc")
    }

    /// As NSString gives them (checked once with Foundation; compared with fixed values here because
    /// Foundation's own path code traps when several tests call it at once).
    @Test(arguments: [
        ("/a/b/c.ovpn", "c.ovpn", "/a/b", "ovpn", "/a/b/c"), ("a/b/", "b", "a", "", "a/b"), ("c", "c", "", "", "c"),
        ("/", "/", "/", "", "/"), ("/a", "a", "/", "", "/a"), ("dir/.hidden", ".hidden", "dir", "", "dir/.hidden"),
        ("x.tar.gz", "x.tar.gz", "", "gz", "x.tar"), ("a//b", "b", "a", "", "a//b"),
    ])
    func pathsAsNSStringGivesThem(_ path: String, _ last: String, _ parent: String, _ ext: String, _ stem: String) {
        #expect(path.lastPathComponent == last, "\(path)")
        #expect(path.deletingLastPathComponent == parent, "\(path)")
        #expect(path.pathExtension == ext, "\(path)")
        #expect(path.deletingPathExtension == stem, "\(path)")
        #expect("a".appendingPathComponent("b") == "a/b" && "a/".appendingPathComponent("b") == "a/b")
    }

    @Test func printfMatchesStringFormat() {
        for value in [0, 1.5, 2.25, 1234.5678, 0.000123, 1e21, -3.75, 99.995] {
            for format in ["%.0f", "%.1f", "%.3f", "%g", "%.9g", "%.0f%%"] {
                #expect(String(printf: format, value) == String(format: format, value), "\(format) \(value)")
            }
        }
    }

    @Test func percentCodingMatchesFoundation() {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        for text in ["a b/c?d#e", "pässwörd", "100%", "~ok-._", "日本"] {
            #expect(text.percentEncoded { $0.isASCIIAlphanumeric || "-._~".utf8.contains($0) } == text.addingPercentEncoding(withAllowedCharacters: allowed))
        }
        for text in ["a%20b", "%E6%97%A5", "plain", "%zz", "%4", "%FF", "a+b"] {
            #expect(text.percentDecoded == text.removingPercentEncoding, "\(text)")
        }
    }

    @Test func datesAreReadInUTC() {
        #expect(UTCTime.seconds(year: 1970, month: 1, day: 1) == 0)
        #expect(UTCTime.seconds(year: 2026, month: 2, day: 30) == nil)
        #expect(UTCTime.httpDate("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(UTCTime.httpDate("Sunday, 06-Nov-94 08:49:37 GMT") == nil)
        #expect(UTCTime.providerDate("2220-04-15 08:18:51") == UTCTime.seconds(year: 2220, month: 4, day: 15, hour: 8, minute: 18, second: 51))
        #expect(UTCTime.providerDate("2026-12-06T08:00:00+0800") == UTCTime.seconds(year: 2026, month: 12, day: 6))
        #expect(UTCTime.providerDate("2026-12-06T08:00:00Z") == UTCTime.seconds(year: 2026, month: 12, day: 6, hour: 8))
        #expect(UTCTime.providerDate("2026-12-06") == UTCTime.seconds(year: 2026, month: 12, day: 6))
        #expect(UTCTime.providerDate("06/12/2026") == nil && UTCTime.providerDate("2026-13-01") == nil)
        #expect(UTCTime.iso8601(784_111_777) == "1994-11-06T08:49:37Z")
        let now = UTCTime.now()
        #expect(abs(now - Date().timeIntervalSince1970) < 5)
    }
}
