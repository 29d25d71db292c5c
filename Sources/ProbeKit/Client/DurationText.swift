/// Durations as users write them on the command line and in config files: `30s`, `5m`, `1h`,
/// `500ms`, `1.5s`, `2d`, or a bare number of seconds.
///
/// The parser never traps: text that is not a finite positive number with a known unit, or a
/// value beyond about 292 years, gives `nil`.
package enum DurationText {
    /// The longest duration accepted: 100 years, far below where `Duration` arithmetic overflows.
    package static let maximumSeconds = 100.0 * 365 * 86_400

    /// Parses `text`; `nil` when it is not a duration.
    package static func parse(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3_600), ("d", 86_400)]
        var number = Substring(text)
        while let first = number.first, first == " " || first == "\t" { number = number.dropFirst() }
        while let last = number.last, last == " " || last == "\t" { number = number.dropLast() }
        var scale = 1.0
        for (suffix, factor) in units where number.hasSuffix(suffix) {
            let stripped = number.dropLast(suffix.count)
            if suffix == "s", stripped.hasSuffix("m") { continue }  // "ms"
            number = stripped
            scale = factor
            break
        }
        // Digits, one point, no sign, exponent, "inf" or "nan": what a person writes.
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              number.filter({ $0 == "." }).count <= 1, number != "."
        else { return nil }
        guard let value = Double(number), value.isFinite, value > 0 else { return nil }
        let seconds = value * scale
        guard seconds <= maximumSeconds else { return nil }
        let milliseconds = (seconds * 1_000).rounded()
        guard milliseconds >= 1 else { return nil }
        return .milliseconds(Int64(milliseconds))
    }
}
