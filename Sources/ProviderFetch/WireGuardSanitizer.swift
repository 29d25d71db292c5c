import SafeText

/// A wg-quick configuration from outside (a provider's API, a downloaded bundle, a subscription)
/// reduced to what a tunnel needs: an allow-list, not a deny-list. Pure: text in, text out.
///
/// `wg-quick up` runs `PreUp`, `PostUp`, `PreDown` and `PostDown` as root and `SaveConfig`
/// rewrites the file; a compromised panel could run anything on every user who follows the
/// README. Only these keys are kept, each value checked for its syntax:
///
/// - `[Interface]`: `PrivateKey`, `Address`, `DNS`, `MTU`, `ListenPort`, `FwMark`;
/// - `[Peer]`: `PublicKey`, `PresharedKey`, `AllowedIPs`, `Endpoint`, `PersistentKeepalive`.
///
/// Every other key, section, or value of the wrong shape is removed and named in ``notes``, one
/// line each (never the value: it may be a key). Comments are dropped. Keys are matched without
/// regard to case (as `wg` does) and written in their documented spelling.
package struct WireGuardSanitizer: Hashable, Sendable {
    /// The configuration as it is written.
    package var text: String
    /// What was removed, one line each.
    package var notes: [String]
    /// The keys that would have run a program (`PreUp`, `PostUp`, ...), kept only when allowed.
    package var scripts: [String]

    /// Keys kept in `[Interface]`, lower-cased to their spelling.
    static let interfaceKeys: [String: String] = [
        "privatekey": "PrivateKey", "address": "Address", "dns": "DNS", "mtu": "MTU", "listenport": "ListenPort", "fwmark": "FwMark",
    ]
    /// Keys kept in `[Peer]`.
    static let peerKeys: [String: String] = [
        "publickey": "PublicKey", "presharedkey": "PresharedKey", "allowedips": "AllowedIPs", "endpoint": "Endpoint",
        "persistentkeepalive": "PersistentKeepalive",
    ]
    /// wg-quick's keys that run a program or rewrite the file.
    static let scriptKeys: Set<String> = ["preup", "postup", "predown", "postdown", "saveconfig"]
    /// wg-quick's other keys: harmless in themselves but not part of a tunnel's hand-over.
    static let knownInterfaceKeys: Set<String> = ["table"]

    /// Sanitises `config`. With `allowScripts` (`--allow-scripts`: a provider the user trusts), the
    /// hooks and `Table`/`SaveConfig` are kept as served and named in ``scripts``; the syntax of
    /// every kept value is checked either way.
    package init(_ config: String, allowScripts: Bool = false) {
        var out: [String] = []
        var notes: [String] = []
        var scripts: [String] = []
        var section: String?
        var sectionDropped = false
        var lineNumber = 0
        for raw in config.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" }) {
            lineNumber += 1
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            // wg-quick cuts a line at its first '#'.
            let stripped = (line.firstIndex(of: "#").map { line[..<$0] } ?? line[...]).trimmingSpaces()
            if stripped.isEmpty { continue }
            if stripped.hasPrefix("[") {
                let name = stripped.lowercased()
                if name == "[interface]" || name == "[peer]" {
                    section = name == "[interface]" ? "Interface" : "Peer"
                    sectionDropped = false
                    if !out.isEmpty { out.append("") }
                    out.append("[\(section ?? "")]")
                } else {
                    section = nil
                    sectionDropped = true
                    notes.append("wireguard: line \(lineNumber): section \(SafeName.quoted(stripped)) removed (not [Interface] or [Peer])")
                }
                continue
            }
            if sectionDropped { continue }
            guard let equals = stripped.firstIndex(of: "=") else {
                notes.append("wireguard: line \(lineNumber): removed (not KEY = VALUE)")
                continue
            }
            let key = stripped[..<equals].trimmingSpaces()
            let value = stripped[stripped.index(after: equals)...].trimmingSpaces()
            let lower = key.lowercased()
            guard let section else {
                notes.append("wireguard: line \(lineNumber): \(SafeName.quoted(key)) removed (outside [Interface] and [Peer])")
                continue
            }
            if Self.scriptKeys.contains(lower) || Self.knownInterfaceKeys.contains(lower) {
                let what = Self.scriptKeys.contains(lower) ? (lower == "saveconfig" ? "rewrites the file" : "runs a program as root") : "changes the routing table"
                if allowScripts, section == "Interface", !value.contains(where: { $0.isControlCharacter }) {
                    scripts.append(key)
                    out.append("\(key) = \(value)")
                } else {
                    notes.append("wireguard: '\(SafeName.shown(key))' removed (\(what); --allow-scripts keeps it)")
                }
                continue
            }
            let allowed = section == "Interface" ? Self.interfaceKeys : Self.peerKeys
            guard let spelling = allowed[lower] else {
                notes.append("wireguard: line \(lineNumber): \(SafeName.quoted(key)) removed (not a key probe hands over in [\(section)])")
                continue
            }
            guard let reason = Self.invalid(spelling, value) else {
                out.append("\(spelling) = \(value)")
                continue
            }
            notes.append("wireguard: line \(lineNumber): \(spelling) removed (\(reason))")
        }
        self.text = out.isEmpty ? "" : out.joined(separator: "\n") + "\n"
        self.notes = notes
        self.scripts = scripts
    }

    /// Whether the sanitised configuration can still be a tunnel: an `[Interface]` with a valid
    /// `PrivateKey` and a `[Peer]` with a `PublicKey`.
    package var isUsable: Bool {
        text.contains("[Interface]") && text.contains("\nPrivateKey = ") && text.contains("[Peer]") && text.contains("\nPublicKey = ")
    }

    /// Why `value` is not a valid `key` value, or nil.
    static func invalid(_ key: String, _ value: String) -> String? {
        if value.contains(where: { $0.isControlCharacter }) { return "a control character in the value" }
        switch key {
        case "PrivateKey", "PublicKey", "PresharedKey":
            return WireGuardKey.isValid(value) ? nil : "not a WireGuard key (base64 of 32 bytes)"
        case "Address", "AllowedIPs":
            let items = list(value)
            return !items.isEmpty && items.allSatisfy(isPrefix) ? nil : "not a list of addresses with prefix lengths"
        case "DNS":
            let items = list(value)
            return !items.isEmpty && items.allSatisfy { isAddress($0) || isHostName($0) } ? nil : "not a list of name servers or search domains"
        case "MTU":
            return Int(value).map { (576...65_535).contains($0) } == true ? nil : "not an MTU (576-65535)"
        case "ListenPort":
            return Int(value).map { (0...65_535).contains($0) } == true ? nil : "not a port"
        case "FwMark":
            if value == "off" { return nil }
            let parsed = value.lowercased().hasPrefix("0x") ? UInt32(value.dropFirst(2), radix: 16) : UInt32(value)
            return parsed == nil ? "not a mark (a 32-bit number or off)" : nil
        case "PersistentKeepalive":
            if value == "off" { return nil }
            return Int(value).map { (0...65_535).contains($0) } == true ? nil : "not a number of seconds (0-65535 or off)"
        case "Endpoint":
            return Endpoint(value) == nil ? "not HOST:PORT" : nil
        default:
            return "not a key probe hands over"
        }
    }

    static func list(_ value: String) -> [String] {
        value.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
    }

    /// `ADDRESS[/LENGTH]`, IPv4 or IPv6.
    static func isPrefix(_ item: String) -> Bool {
        let parts = item.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard isAddress(String(parts[0])) else { return false }
        guard parts.count == 2 else { return true }
        guard let length = Int(parts[1]) else { return false }
        return (0...(parts[0].contains(":") ? 128 : 32)).contains(length)
    }

    /// A numeric IPv4 or IPv6 address (checked by its characters and shape, not resolved).
    static func isAddress(_ text: String) -> Bool {
        if text.contains(":") {
            return text.count <= 45 && text.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." } && text.filter { $0 == ":" }.count >= 2
        }
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { $0.count <= 3 && UInt8($0) != nil }
    }

    /// A DNS name: letters, digits, hyphens and dots, 253 characters at most, no empty label.
    static func isHostName(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        let labels = text.hasSuffix(".") ? text.dropLast().split(separator: ".", omittingEmptySubsequences: false) : text.split(separator: ".", omittingEmptySubsequences: false)
        return !labels.isEmpty && labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.first != "-"
                && label.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "_" }
        }
    }

    /// `HOST:PORT` or `[V6]:PORT`, the host a name or an address.
    package struct Endpoint: Hashable, Sendable {
        /// The host (an IPv6 address without its brackets).
        package var host: String
        /// The port.
        package var port: Int

        /// Parses `value`; nil when it is not `HOST:PORT`.
        package init?(_ value: String) {
            guard let colon = value.lastIndex(of: ":"), let port = Int(value[value.index(after: colon)...]), (1...65_535).contains(port) else { return nil }
            var host = String(value[..<colon])
            if host.hasPrefix("[") {
                guard host.hasSuffix("]") else { return nil }
                host = String(host.dropFirst().dropLast())
                guard WireGuardSanitizer.isAddress(host), host.contains(":") else { return nil }
            } else {
                guard !host.contains(":"), WireGuardSanitizer.isAddress(host) || WireGuardSanitizer.isHostName(host) else { return nil }
            }
            self.host = host
            self.port = port
        }
    }
}

/// A WireGuard key as wg-quick files hold it: base64 of 32 bytes (44 characters, one `=`).
package enum WireGuardKey {
    /// Whether `text` is one.
    package static func isValid(_ text: String) -> Bool { bytes(text) != nil }

    /// The 32 bytes of `text`, or nil.
    package static func bytes(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 44, utf8[43] == UInt8(ascii: "=") else { return nil }
        var bits: UInt32 = 0
        var count = 0
        var out: [UInt8] = []
        out.reserveCapacity(33)
        for byte in utf8.prefix(43) {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = byte - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = byte - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            default: return nil
            }
            bits = (bits << 6) | UInt32(value)
            count += 6
            if count >= 8 {
                count -= 8
                out.append(UInt8((bits >> UInt32(count)) & 0xFF))
            }
        }
        // 43 characters carry 258 bits: 32 bytes and 2 bits that must be zero.
        guard out.count == 32, bits & ((1 << UInt32(count)) - 1) == 0 else { return nil }
        return out
    }
}

/// A name from outside, shown in a note: escaped, cut, never raw.
enum SafeName {
    static func shown(_ text: some StringProtocol) -> String { SafeText.escaped(String(text), limit: 40) }
    static func quoted(_ text: some StringProtocol) -> String { "'\(shown(text))'" }
}

extension Character {
    /// A C0 or C1 control character, DEL included (tab too: a value needs none).
    package var isControlCharacter: Bool {
        unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0 == "\u{2028}" || $0 == "\u{2029}" }
    }
}
