import Testing
@testable import ProbeKit

/// The duration parser of `--every` and config files: what people write, and what the fuzzer
/// throws at it (an overflow of `Int64` once trapped here: `1e300`).
@Suite struct DurationTextTests {
    @Test(arguments: [
        ("30s", Duration.seconds(30)), ("5m", .seconds(300)), ("1h", .seconds(3_600)), ("500ms", .milliseconds(500)),
        ("1.5s", .milliseconds(1_500)), ("2d", .seconds(172_800)), ("10", .seconds(10)), (" 7m ", .seconds(420)),
    ])
    func whatPeopleWrite(text: String, expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test(arguments: ["", "s", "ms", ".", "-5s", "0", "0s", "0.0001s", "1e300", "1e3s", "inf", "nan", "infinity", "+5s",
                      "99999999999999999999", "99999999999999999999d", "5 s", "5x", "1.2.3s", "0x10", "\u{0}", "５s"])
    func neverTrapsOnAnythingElse(text: String) {
        #expect(DurationText.parse(text) == nil)
    }
}
