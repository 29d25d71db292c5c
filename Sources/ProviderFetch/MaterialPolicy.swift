import SafeText

/// The one gate every piece of connection material from outside passes before it is written or
/// printed: provider data never becomes a command in a VPN client's file.
///
/// - wg-quick files keep only the keys of ``WireGuardSanitizer`` (no `PreUp`/`PostUp`/...);
/// - OpenVPN profiles keep only the options of ``OpenVPNSanitizer`` (nothing that runs a program,
///   loads a plugin, reads or writes a file outside DIR, or changes directory);
/// - a share URI, a key and the connection's host hold no newline, NUL or other control character
///   (a URI with one is refused, with a note);
/// - what was removed is in the material's `notes`, one line each.
///
/// `allowScripts` (`--allow-scripts`, for a provider the user trusts) keeps the hooks and says so
/// in a note; the syntax checks hold either way. Pure.
package enum MaterialPolicy {
    /// `material` made safe to write, or a one-line error when nothing usable is left.
    package static func apply(_ material: ConnectionMaterial, allowScripts: Bool) throws(ProviderError) -> ConnectionMaterial {
        var material = material
        guard !material.host.isEmpty, !material.host.contains(where: { $0.isControlCharacter || $0 == " " }) else {
            throw ProviderError(.unexpectedShape, "the connection's host \(SafeText.quoted(material.host, limit: 60)) holds a control character or a space: refused")
        }
        var files: [MaterialFile] = []
        var notes: [String] = []
        var kept: [String] = []
        for var file in material.files {
            switch file.kind {
            case "wireguard":
                let clean = WireGuardSanitizer(file.contents, allowScripts: allowScripts)
                guard clean.isUsable else {
                    throw ProviderError(.unexpectedShape, "wireguard config: no [Interface] with a valid PrivateKey and [Peer] with a PublicKey left after checking it\(clean.notes.first.map { " (\($0))" } ?? "")")
                }
                file.contents = clean.text
                notes += clean.notes
                kept += clean.scripts
            case "openvpn":
                let clean = OpenVPNSanitizer(file.contents, allowScripts: allowScripts)
                guard clean.text.contains("\nremote ") || clean.text.hasPrefix("remote ") else {
                    throw ProviderError(.unexpectedShape, "openvpn profile: no 'remote' left after checking it")
                }
                file.contents = clean.text
                notes += clean.notes
                kept += clean.scripts
            case "uri", "key":
                let value = file.contents.hasSuffix("\n") ? String(file.contents.dropLast()) : file.contents
                if value.contains(where: { $0.isControlCharacter }) {
                    notes.append("\(file.kind): refused (a newline or control character inside the \(file.kind == "uri" ? "share URI" : "key"))")
                    continue
                }
            case "openvpn_auth":
                // Two lines: user name and password, neither with a line break of its own.
                let lines = file.contents.split(separator: "\n", omittingEmptySubsequences: false)
                if lines.count != 3 || lines[2] != "" || lines.prefix(2).contains(where: { $0.contains(where: { $0.isControlCharacter }) }) {
                    throw ProviderError(.unexpectedShape, "openvpn auth: the user name or password holds a line break or control character")
                }
            default:
                break
            }
            files.append(file)
        }
        guard !files.isEmpty else {
            throw ProviderError(.unexpectedShape, "no connection material left after checking it\(notes.first.map { " (\($0))" } ?? "")")
        }
        if !kept.isEmpty {
            notes.append("provider commands kept because of --allow-scripts: \(kept.map { SafeName.shown($0) }.joined(separator: ", "))")
        }
        material.files = files
        material.notes += notes
        return material
    }
}
