import SafeText

/// The servers of an OpenVPN profile: one per `remote HOST [PORT] [PROTO]`, top-level or inside a
/// `<connection>` block (whose `proto`/`port` apply to it), else the profile's `proto`/`port`,
/// else 1194/udp; and the profile handed over for one of them: that `remote` alone (no
/// `remote-random`, no other `<connection>` block), inline keys and everything else as written. Pure.
package enum OpenVPNBundle {
    struct Remote {
        var line: Int
        var host: String
        var port: Int?
        var proto: String?
        /// The `<connection>` block it is in (its index), or nil at top level.
        var block: Int?
    }

    /// Lines as OpenVPN reads them: options, with inline data blocks (`<ca>` ... `</ca>`) passed over.
    static func scan(_ text: String) -> (remotes: [Remote], globalProto: String?, globalPort: Int?, blockProto: [Int: String], blockPort: [Int: Int]) {
        var remotes: [Remote] = []
        var globalProto: String?, globalPort: Int?
        var blockProto: [Int: String] = [:], blockPort: [Int: Int] = [:]
        var inline: String?
        var block: Int?
        var blocks = 0
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingSpaces()
            let lower = line.lowercased()
            if let tag = inline {
                if lower == "</\(tag)>" { inline = nil }
                continue
            }
            if lower == "<connection>" { block = blocks; blocks += 1; continue }
            if lower == "</connection>" { block = nil; continue }
            if lower.hasPrefix("<"), lower.hasSuffix(">"), !lower.hasPrefix("</") { inline = String(lower.dropFirst().dropLast()); continue }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let option = words.first?.lowercased(), !option.hasPrefix("#"), !option.hasPrefix(";") else { continue }
            switch option {
            case "remote" where words.count >= 2:
                guard let host = BundleEntry.cleanHost(words[1]) else { continue }
                let port = words.count >= 3 ? Int(words[2]).flatMap { (1...65_535).contains($0) ? $0 : nil } : nil
                let proto = words.count >= 4 ? normalised(words[3]) : nil
                remotes.append(Remote(line: number, host: host, port: port, proto: proto, block: block))
            case "proto" where words.count >= 2:
                if let block { blockProto[block] = normalised(words[1]) } else { globalProto = normalised(words[1]) }
            case "port" where words.count >= 2:
                if let value = Int(words[1]), (1...65_535).contains(value) { if let block { blockPort[block] = value } else { globalPort = value } }
            default: continue
            }
        }
        return (remotes, globalProto, globalPort, blockProto, blockPort)
    }

    /// `udp`/`tcp` of an OpenVPN `proto` value (`udp4`, `tcp-client`, `tcp6-client` ...).
    static func normalised(_ proto: some StringProtocol) -> String? {
        let lower = proto.lowercased()
        if lower.hasPrefix("udp") { return "udp" }
        if lower.hasPrefix("tcp") { return "tcp" }
        return nil
    }

    /// The entries of the profile `text` at `path`, and what was wrong.
    package static func entries(_ text: String, path: String) -> ([BundleEntry], [String]) {
        let scanned = scan(text)
        let shown = SafeText.escaped(path, limit: 120)
        guard !scanned.remotes.isEmpty else { return ([], ["\(shown): no 'remote': skipped"]) }
        let base = path.split(separator: "/").last.map(String.init) ?? path
        let name = base.hasSuffix(".ovpn") ? String(base.dropLast(5)) : base
        var entries: [BundleEntry] = []
        for (index, remote) in scanned.remotes.enumerated() {
            let proto = remote.proto ?? remote.block.flatMap { scanned.blockProto[$0] } ?? scanned.globalProto ?? "udp"
            let port = remote.port ?? remote.block.flatMap { scanned.blockPort[$0] } ?? scanned.globalPort ?? 1_194
            let suffix = scanned.remotes.count > 1 ? "#\(index + 1)" : ""
            entries.append(BundleEntry(id: path + suffix, name: name + suffix, host: remote.host, port: port, protocol: "openvpn", transport: proto,
                                       country: BundleEntry.country(from: name), material: .openvpn(text, remote: index)))
        }
        return (entries, [])
    }

    /// The profile with only remote number `chosen` (0-based, in order of appearance): other
    /// `remote` lines, `remote-random` and the other `<connection>` blocks removed.
    package static func profile(_ text: String, keeping chosen: Int) -> String {
        let scanned = scan(text)
        guard scanned.remotes.indices.contains(chosen) else { return text }
        let keep = scanned.remotes[chosen]
        let dropLines = Set(scanned.remotes.enumerated().filter { $0.offset != chosen }.map(\.element.line))
        var out: [Substring] = []
        var inline: String?
        var block: Int?
        var blocks = 0
        var pending: [Substring] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lower = raw.trimmingSpaces().lowercased()
            if let tag = inline {
                if lower == "</\(tag)>" { inline = nil }
                if block != nil { pending.append(raw) } else { out.append(raw) }
                continue
            }
            if lower == "<connection>" { block = blocks; blocks += 1; pending = [raw]; continue }
            if lower == "</connection>", let current = block {
                pending.append(raw)
                if keep.block == current { out += pending }
                pending = []
                block = nil
                continue
            }
            if lower.hasPrefix("<"), lower.hasSuffix(">"), !lower.hasPrefix("</") { inline = String(lower.dropFirst().dropLast()) }
            if dropLines.contains(number) || lower == "remote-random" || lower.hasPrefix("remote-random ") { continue }
            if block != nil { pending.append(raw) } else { out.append(raw) }
        }
        return out.joined(separator: "\n")
    }
}
