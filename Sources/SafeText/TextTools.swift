#if canImport(Glibc)
import Glibc
#endif

// The text helpers probe needs from a standard library without Foundation's (ICU-backed) string
// extensions: the `probe` binary links FoundationEssentials only, which has none of these.
// Literal, byte-exact semantics where Foundation's would compare canonically.

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (Unicode space separators and U+0009, as
    /// Foundation's `.whitespaces`).
    package func trimmingSpaces() -> String { trimming { $0 == "\t" || $0.properties.generalCategory == .spaceSeparator } }

    /// Without leading and trailing white space and line ends (Unicode `White_Space`, as
    /// Foundation's `.whitespacesAndNewlines`).
    package func trimmingWhitespace() -> String { trimming { $0.properties.isWhitespace } }

    /// Without leading and trailing scalars for which `drop` holds.
    package func trimming(_ drop: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !drop($0) }), let last = scalars.lastIndex(where: { !drop($0) }) else { return "" }
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: scalars[first...last])
        return String(kept)
    }

    /// Every occurrence of `target` replaced by `replacement`, matched byte for byte in UTF-8 (an
    /// occurrence inside a grapheme cluster is replaced too: a secret is masked wherever it is).
    package func replacingAll(_ target: some StringProtocol, with replacement: some StringProtocol) -> String {
        let pattern = Array(target.utf8)
        guard let head = pattern.first else { return String(self) }
        var text = String(self)
        return text.withUTF8 { bytes -> String in
            let count = bytes.count, width = pattern.count
            func matches(at index: Int) -> Bool {
                guard index + width <= count else { return false }
                var offset = 1
                while offset < width {
                    if bytes[index + offset] != pattern[offset] { return false }
                    offset += 1
                }
                return true
            }
            var result: [UInt8] = []
            var copied = 0  // bytes before this are in `result`
            var index = 0
            while index < count {
                if bytes[index] == head, matches(at: index) {
                    if result.isEmpty { result.reserveCapacity(count + 16) }
                    result.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied..<index]))
                    result.append(contentsOf: replacement.utf8)
                    index += width
                    copied = index
                } else {
                    index += 1
                }
            }
            // Nothing to replace (the common case of a redaction): the text as it is, not rebuilt.
            guard copied > 0 else { return String(self) }
            result.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied..<count]))
            return String(decoding: result, as: UTF8.self)
        }
    }

    /// The part after the last `/` (a path's file name); the whole text when there is none.
    package var lastPathComponent: String {
        let trimmed = String(self).trimmingTrailingSlashes
        guard trimmed != "/", let slash = trimmed.lastIndex(of: "/") else { return trimmed }
        return String(trimmed[trimmed.index(after: slash)...])
    }

    /// The path without its last component (`a/b/c` gives `a/b`, `/a` gives `/`, `a` gives ``).
    package var deletingLastPathComponent: String {
        let trimmed = String(self).trimmingTrailingSlashes
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        if slash == trimmed.startIndex { return "/" }
        return String(trimmed[..<slash]).trimmingTrailingSlashes
    }

    /// `component` after this path and one `/`.
    package func appendingPathComponent(_ component: String) -> String {
        let base = String(self)
        if base.isEmpty { return component }
        return base.hasSuffix("/") ? base + component : base + "/" + component
    }

    /// The file name's extension without the dot (`a.ovpn` gives `ovpn`; `.hidden` and `a` give ``).
    package var pathExtension: String {
        let name = lastPathComponent
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[name.index(after: dot)...])
    }

    /// The path with its file name's extension (and its dot) removed.
    package var deletingPathExtension: String {
        let extensionText = pathExtension
        let trimmed = String(self).trimmingTrailingSlashes
        guard !extensionText.isEmpty else { return trimmed }
        return String(trimmed.dropLast(extensionText.count + 1))
    }

    /// Percent-encoded: every UTF-8 byte for which `keep` is false becomes `%XX`.
    package func percentEncoded(keeping keep: (UInt8) -> Bool) -> String {
        var result = ""
        for byte in utf8 {
            if keep(byte) {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                result += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0x0F, radix: 16, uppercase: true)
            }
        }
        return result
    }

    /// `%XX` escapes decoded (`nil` when one is malformed or the bytes are not UTF-8), as a URL's
    /// parts are read.
    package var percentDecoded: String? {
        var bytes: [UInt8] = []
        var iterator = utf8.makeIterator()
        func hex(_ byte: UInt8?) -> UInt8? {
            switch byte {
            case let byte? where (0x30...0x39).contains(byte): byte - 0x30
            case let byte? where (0x41...0x46).contains(byte): byte - 0x37
            case let byte? where (0x61...0x66).contains(byte): byte - 0x57
            default: nil
            }
        }
        while let byte = iterator.next() {
            if byte == 0x25 {
                guard let high = hex(iterator.next()), let low = hex(iterator.next()) else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private var trimmingTrailingSlashes: String {
        var text = String(self)
        while text.count > 1, text.hasSuffix("/") { text.removeLast() }
        return text
    }
}

extension UInt8 {
    /// An ASCII letter or digit.
    package var isASCIIAlphanumeric: Bool { (0x30...0x39).contains(self) || (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) }
}

extension String {
    /// One number formatted as C's `printf` formats it (`%.3f`, `%g`, `%.9g`, `%.0f%%`), in the
    /// C locale: what `String(format:)` gives for these, without Foundation.
    package init(printf pattern: String, _ value: Double) {
        var buffer = [CChar](repeating: 0, count: 512)
        let size = buffer.count
        let written = Int(withVaList([value]) { arguments in vsnprintf(&buffer, size, pattern, arguments) })
        let kept = written < 0 ? [] : buffer.prefix(Swift.min(written, size - 1)).map { UInt8(bitPattern: $0) }
        self = String(decoding: kept, as: UTF8.self)
    }
}

/// Calendar arithmetic in UTC for the few absolute dates probe reads and writes (an account's
/// expiry, an HTTP date, a connection's label): seconds since 1970, through the C library.
package enum UTCTime {
    /// Seconds since 1970 of a UTC calendar time; `nil` when a field is out of range.
    package static func seconds(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) -> Int? {
        guard (1...9_999).contains(year), (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour),
              (0...59).contains(minute), (0...60).contains(second) else { return nil }
        var fields = tm()
        fields.tm_year = Int32(year - 1_900)
        fields.tm_mon = Int32(month - 1)
        fields.tm_mday = Int32(day)
        fields.tm_hour = Int32(hour)
        fields.tm_min = Int32(minute)
        fields.tm_sec = Int32(second)
        let seconds = timegm(&fields)
        // timegm normalises (31 February becomes 3 March): such a date is not a date.
        guard fields.tm_mday == Int32(day), fields.tm_mon == Int32(month - 1) else { return nil }
        return Int(seconds)
    }

    /// Seconds since 1970 now, from the wall clock (for absolute dates only: durations are measured
    /// on the monotonic clock).
    package static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// `2026-12-06T07:30:00Z`.
    package static func iso8601(_ seconds: Double) -> String {
        var time = time_t(seconds.rounded(.down))
        var fields = tm()
        gmtime_r(&time, &fields)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(fields.tm_year + 1_900)-\(two(fields.tm_mon + 1))-\(two(fields.tm_mday))T\(two(fields.tm_hour)):\(two(fields.tm_min)):\(two(fields.tm_sec))Z"
    }

    /// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110's IMF-fixdate) as seconds since 1970.
    package static func httpDate(_ text: some StringProtocol) -> Int? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]), let year = Int(parts[3]) else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let month = months.firstIndex(of: String(parts[2])) else { return nil }
        let clock = parts[4].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3 else { return nil }
        return seconds(year: year, month: month + 1, day: day, hour: clock[0], minute: clock[1], second: clock[2])
    }

    /// A date as providers write it: `2220-04-15 08:18:51`, `2220-04-15T08:18:51Z` (or with an
    /// offset, `+0800`, `+08:00`), or `2220-04-15`; UTC unless an offset says otherwise.
    package static func providerDate(_ text: some StringProtocol) -> Int? {
        let text = String(text).trimmingWhitespace()
        let bytes = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[from..<from + count] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard bytes.count >= 10, bytes[4] == 0x2D, bytes[7] == 0x2D, let year = number(0, 4), let month = number(5, 2), let day = number(8, 2) else { return nil }
        if bytes.count == 10 { return seconds(year: year, month: month, day: day) }
        guard bytes.count >= 19, bytes[10] == 0x20 || bytes[10] == 0x54, bytes[13] == 0x3A, bytes[16] == 0x3A,
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              let base = seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second) else { return nil }
        let zone = Array(bytes[19...])
        if zone.isEmpty || zone == [0x5A] { return base }  // none, or Z
        guard zone.count == 5 || zone.count == 6, zone[0] == 0x2B || zone[0] == 0x2D else { return nil }
        let digits = zone.dropFirst().filter { $0 != 0x3A }
        guard digits.count == 4, digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        let values = digits.map { Int($0 - 0x30) }
        let offset = (values[0] * 10 + values[1]) * 3_600 + (values[2] * 10 + values[3]) * 60
        return zone[0] == 0x2B ? base - offset : base + offset
    }
}
