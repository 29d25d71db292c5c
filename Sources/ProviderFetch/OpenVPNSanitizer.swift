import SafeText

/// An OpenVPN profile from outside reduced to options that cannot run a program, load a plugin,
/// read or write a file outside the connection's directory, or change directory: an allow-list of
/// OpenVPN 2.6's client options (checked against `openvpn --help` of 2.6.14 and its manual).
/// Pure: text in, text out.
///
/// Each line is read as OpenVPN reads it (quotes, backslash escapes, `#`/`;` comments at a word's
/// start, a leading `--`, `setenv opt OPTION ...` read as OPTION) and written again from its words,
/// so what was checked is what OpenVPN will parse. Inline blocks `<ca>`, `<cert>`, `<key>`,
/// `<tls-auth>`, `<tls-crypt>`, `<tls-crypt-v2>`, `<extra-certs>` (and the other data blocks:
/// `<pkcs12>`, `<dh>`, `<secret>`, `<crl-verify>`, `<auth-user-pass>`, `<http-proxy-user-pass>`,
/// `<peer-fingerprint>`) stay; a `<connection>` block is sanitised line by line like the rest.
/// Options naming a file (`ca`, `cert`, `tls-auth`, ...) stay only with `[inline]`. What is removed
/// is named in ``notes``, one line each.
package struct OpenVPNSanitizer: Hashable, Sendable {
    /// The profile as it is written.
    package var text: String
    /// What was removed or changed, one line each.
    package var notes: [String]
    /// The options kept only because scripts were allowed.
    package var scripts: [String]

    /// Client options that do none of the forbidden things.
    static let allowed: Set<String> = [
        "client", "pull", "tls-client", "dev", "dev-type", "proto", "proto-force", "remote", "remote-random", "remote-random-hostname",
        "resolv-retry", "nobind", "bind", "float", "port", "lport", "rport", "local", "connect-retry", "connect-retry-max",
        "connect-timeout", "server-poll-timeout", "http-proxy-option", "socks-proxy-retry", "http-proxy-retry",
        "persist-key", "persist-tun", "persist-remote-ip", "persist-local-ip", "disable-dco", "lladdr", "topology", "ifconfig",
        "ifconfig-ipv6", "ifconfig-nowarn", "route", "route-ipv6", "route-gateway", "route-ipv6-gateway", "route-metric", "route-delay",
        "route-nopull", "allow-pull-fqdn", "redirect-gateway", "redirect-private", "block-ipv6", "block-outside-dns",
        "register-dns", "ip-win32", "tap-sleep", "dhcp-option", "dns", "push-peer-info", "setenv", "setenv-safe",
        "ignore-unknown-option", "shaper", "keepalive", "inactive", "session-timeout", "ping-exit", "ping-restart",
        "ping-timer-rem", "ping", "multihome", "fast-io", "passtos", "tun-mtu", "tun-mtu-extra", "tun-mtu-max", "link-mtu",
        "mtu-disc", "mtu-test", "fragment", "mssfix", "sndbuf", "rcvbuf", "mark", "txqueuelen", "mlock", "user", "group",
        "nice", "verb", "mute", "suppress-timestamps", "machine-readable-output", "disable-occ", "compress", "allow-compression",
        "comp-lzo", "comp-noadapt", "explicit-exit-notify", "auth-user-pass", "pull-filter", "auth-retry", "static-challenge",
        "allow-recursive-routing", "auth", "cipher", "data-ciphers", "data-ciphers-fallback", "ncp-ciphers", "ncp-disable",
        "no-replay", "mute-replay-warnings", "replay-window", "tls-version-min", "tls-version-max", "x509-username-field",
        "verify-hash", "tls-cipher", "tls-ciphersuites", "tls-groups", "ecdh-curve", "tls-cert-profile", "tls-timeout",
        "reneg-bytes", "reneg-pkts", "reneg-sec", "hand-window", "tran-window", "single-session", "tls-exit", "auth-nocache",
        "verify-x509-name", "ns-cert-type", "x509-track", "remote-cert-ku", "remote-cert-eku", "remote-cert-tls",
        "key-direction", "key-method", "tun-ipv6", "peer-fingerprint", "auth-token", "auth-token-user", "opt-verify",
        "max-routes", "route-method", "windows-driver", "up-delay", "up-restart", "keying-material-exporter", "socket-flags",
        "dhcp-renew", "dhcp-release", "dhcp-pre-release", "client-nat", "bind-dev", "show-net-up",
        "route-noexec", "ifconfig-noexec", "http-proxy", "socks-proxy", "ca", "cert", "key", "tls-auth", "tls-crypt",
        "tls-crypt-v2", "extra-certs", "pkcs12", "dh", "secret", "crl-verify", "echo",
        // Refused by OpenVPN 2.5+ but harmless: OpenVPNProfile comments it out, with a note.
        "client-cert-not-required",
    ]
    /// Options that name a file: kept only with `[inline]` (the block in the profile).
    static let fileOptions: Set<String> = [
        "ca", "cert", "key", "tls-auth", "tls-crypt", "tls-crypt-v2", "extra-certs", "pkcs12", "dh", "secret", "crl-verify",
    ]
    /// Inline data blocks that stay.
    static let dataBlocks: Set<String> = [
        "ca", "cert", "key", "tls-auth", "tls-crypt", "tls-crypt-v2", "extra-certs", "pkcs12", "dh", "secret", "crl-verify",
        "auth-user-pass", "http-proxy-user-pass", "peer-fingerprint",
    ]
    /// Why an option is refused, for the note; options not listed are "not a client option probe hands over".
    static let reasons: [String: String] = [
        "up": "runs a program", "down": "runs a program", "route-up": "runs a program", "route-pre-down": "runs a program",
        "ipchange": "runs a program", "tls-verify": "runs a program", "client-connect": "runs a program",
        "client-disconnect": "runs a program", "learn-address": "runs a program", "auth-user-pass-verify": "runs a program",
        "tls-crypt-v2-verify": "runs a program", "iproute": "runs a program", "script-security": "allows programs to run",
        "down-pre": "concerns scripts", "plugin": "loads a plugin", "engine": "loads a library", "providers": "loads a library",
        "pkcs11-providers": "loads a library", "log": "writes a file", "log-append": "writes a file", "status": "writes a file",
        "writepid": "writes a file", "replay-persist": "writes a file", "tls-export-cert": "writes files", "genkey": "writes a file",
        "ifconfig-pool-persist": "writes a file", "config": "reads a file", "askpass": "reads a file", "capath": "reads files",
        "dev-node": "opens a device outside DIR", "cd": "changes directory", "chroot": "changes directory",
        "tmp-dir": "writes files", "daemon": "detaches and logs elsewhere", "syslog": "logs elsewhere",
        "management": "opens a control port", "management-client": "opens a control port", "management-hold": "waits for a control port",
        "management-query-passwords": "opens a control port", "management-up-down": "opens a control port",
        "management-external-key": "opens a control port", "management-external-cert": "opens a control port",
        "management-client-auth": "opens a control port", "inetd": "changes how OpenVPN runs", "mode": "a server option",
        "server": "a server option", "tls-server": "a server option", "client-config-dir": "reads files",
    ]
    /// Options that run a program or load code: the ones `--allow-scripts` keeps.
    static let scriptOptions: Set<String> = [
        "up", "down", "route-up", "route-pre-down", "ipchange", "tls-verify", "client-connect", "client-disconnect", "learn-address",
        "auth-user-pass-verify", "tls-crypt-v2-verify", "iproute", "script-security", "down-pre", "plugin",
    ]

    /// Sanitises `profile`. With `allowScripts` (a provider the user trusts) the options that run
    /// a program or load a plugin are kept and named in ``scripts``; everything else holds.
    package init(_ profile: String, allowScripts: Bool = false) {
        var state = State(allowScripts: allowScripts)
        state.run(profile.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" }).map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) })
        var text = state.out.joined(separator: "\n")
        if !text.isEmpty { text += "\n" }
        self.text = text
        self.notes = state.notes
        self.scripts = state.scripts
    }

    /// The work of one sanitising pass.
    private struct State {
        let allowScripts: Bool
        var out: [String] = []
        var notes: [String] = []
        var scripts: [String] = []

        init(allowScripts: Bool) { self.allowScripts = allowScripts }

        mutating func run(_ lines: [String], depth: Int = 0, offset: Int = 0) {
            var index = 0
            while index < lines.count {
                let line = lines[index]
                let number = offset + index + 1
                index += 1
                let trimmed = line.drop { $0 == " " || $0 == "\t" }
                if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
                // An inline block: `<name>` alone on its line, up to `</name>`.
                let bare = trimmed.trimmingSpaces()
                if bare.hasPrefix("<"), bare.hasSuffix(">"), !bare.hasPrefix("</") {
                    let name = String(bare.dropFirst().dropLast())
                    var body: [String] = []
                    var closed = false
                    while index < lines.count {
                        let content = lines[index]
                        index += 1
                        if content.trimmingSpaces() == "</\(name)>" { closed = true; break }
                        body.append(content)
                    }
                    block(name, body, closed: closed, line: number, depth: depth)
                    continue
                }
                guard !line.contains(where: { $0.isControlCharacter && $0 != "\t" }) else {
                    notes.append("openvpn: line \(number): removed (a control character in it)")
                    continue
                }
                guard var words = OpenVPNProfileWords.split(line), !words.isEmpty else {
                    notes.append("openvpn: line \(number): removed (an unclosed quote)")
                    continue
                }
                if words[0].hasPrefix("--") { words[0].removeFirst(2) }
                option(words, line: number)
            }
        }

        mutating func option(_ words: [String], line: Int) {
            let name = words[0]
            // `setenv opt OPTION ...` is OPTION, ignored only when OpenVPN does not know it.
            if name == "setenv" || name == "setenv-safe", words.count >= 3, words[1].lowercased() == "opt" {
                let inner = Array(words.dropFirst(2))
                if verdict(inner) == nil { out.append(OpenVPNProfileWords.join(words)) } else { refuse(inner, line: line, via: "setenv opt") }
                return
            }
            if let changed = verdict(words) {
                if case .rewrite(let replacement, let note) = changed {
                    out.append(OpenVPNProfileWords.join(replacement))
                    notes.append("openvpn: line \(line): \(note)")
                } else {
                    refuse(words, line: line, via: nil)
                }
                return
            }
            out.append(OpenVPNProfileWords.join(words))
        }

        enum Verdict { case refuse, rewrite([String], String) }

        /// nil: keep as it is.
        func verdict(_ words: [String]) -> Verdict? {
            let name = words[0]
            if allowScripts, OpenVPNSanitizer.scriptOptions.contains(name) { return nil }
            guard OpenVPNSanitizer.allowed.contains(name) else { return .refuse }
            if OpenVPNSanitizer.fileOptions.contains(name) {
                return words.count >= 2 && words[1] == "[inline]" ? nil : .refuse
            }
            switch name {
            case "auth-user-pass" where words.count >= 2 && words[1] != "[inline]":
                // probe points it at the credentials file it writes into DIR.
                return .rewrite(["auth-user-pass"], "'auth-user-pass' names a file outside DIR: the file removed (probe names its own)")
            case "http-proxy" where words.count >= 4 && !["auto", "auto-nct", "stdin", "[inline]"].contains(words[3]):
                return .rewrite(Array(words.prefix(3)), "'http-proxy' names a credentials file outside DIR: the file removed")
            case "socks-proxy" where words.count >= 4 && !["stdin", "[inline]"].contains(words[3]):
                return .rewrite(Array(words.prefix(3)), "'socks-proxy' names a credentials file outside DIR: the file removed")
            default:
                return nil
            }
        }

        mutating func refuse(_ words: [String], line: Int, via: String?) {
            let name = words[0]
            let shown = SafeName.shown(name)
            let reason: String
            if OpenVPNSanitizer.fileOptions.contains(name) {
                reason = "names a file outside DIR (only inline blocks are kept)"
            } else {
                reason = OpenVPNSanitizer.reasons[name] ?? "not a client option probe hands over"
            }
            let keeps = OpenVPNSanitizer.scriptOptions.contains(name) ? "; --allow-scripts keeps it" : ""
            let prefix = via.map { "'\($0) \(shown)'" } ?? "'\(shown)'"
            notes.append("openvpn: line \(line): \(prefix) removed (\(reason)\(keeps))")
        }

        mutating func block(_ name: String, _ body: [String], closed: Bool, line: Int, depth: Int) {
            let shown = SafeName.shown(name)
            guard closed else {
                notes.append("openvpn: line \(line): <\(shown)> removed (never closed)")
                return
            }
            if name == "connection", depth == 0 {
                out.append("<connection>")
                run(body, depth: 1, offset: line)
                out.append("</connection>")
                return
            }
            guard OpenVPNSanitizer.dataBlocks.contains(name) else {
                notes.append("openvpn: line \(line): <\(shown)> removed (not an inline block probe hands over)")
                return
            }
            // Key material has no angle brackets and no control characters: a line that does could
            // be read as a tag by one parser and as data by another.
            guard !body.contains(where: { $0.contains("<") || $0.contains(">") || $0.contains(where: { $0.isControlCharacter && $0 != "\t" }) }) else {
                notes.append("openvpn: line \(line): <\(shown)> removed (a tag or a control character inside it)")
                return
            }
            out.append("<\(name)>")
            out.append(contentsOf: body)
            out.append("</\(name)>")
        }
    }
}

/// OpenVPN's words on one line, read as its configuration parser reads them.
package enum OpenVPNProfileWords {
    /// The words of `line` (nil: a quote left open). `"..."` allows `\\` and `\"` escapes,
    /// `'...'` none, a backslash outside quotes escapes the next character, and a `#` or `;` at a
    /// word's start begins a comment.
    package static func split(_ line: String) -> [String]? {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escape = false
        for character in line {
            if escape {
                current.append(character)
                escape = false
                continue
            }
            if let open = quote {
                if character == open {
                    quote = nil
                } else if character == "\\", open == "\"" {
                    escape = true
                } else {
                    current.append(character)
                }
                continue
            }
            if character == " " || character == "\t" || character == "\r" {
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
                continue
            }
            if !inWord, character == "#" || character == ";" { break }
            inWord = true
            switch character {
            case "\"", "'": quote = character
            case "\\": escape = true
            default: current.append(character)
            }
        }
        guard quote == nil, !escape else { return nil }
        if inWord { words.append(current) }
        return words
    }

    /// `words` written so that ``split(_:)`` (and OpenVPN) reads them back unchanged.
    package static func join(_ words: [String]) -> String {
        words.map { word in
            let plain = !word.isEmpty && !word.contains { $0 == " " || $0 == "\t" || $0 == "\"" || $0 == "'" || $0 == "\\" || $0 == "#" || $0 == ";" }
            if plain { return word }
            return "\"" + word.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\""
        }.joined(separator: " ")
    }
}
