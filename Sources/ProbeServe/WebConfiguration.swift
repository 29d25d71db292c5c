import ProbeKit
import CProbe
import Foundation
import SafeText

/// `probe serve --web-config FILE`: TLS and basic auth for a listener, in the web-config file
/// Prometheus's exporters read (exporter-toolkit's `web-config.yml`), so the file a fleet already
/// keeps for node_exporter works here as it is:
///
/// ```yaml
/// tls_server_config:
///   cert_file: server.crt        # PEM; relative paths are read from the file's directory
///   key_file: server.key
///   # client_auth_type: RequireAndVerifyClientCert   (with client_ca_file: ca.crt)
///   # min_version: TLS12
/// basic_auth_users:
///   prometheus: $2y$10$...       # bcrypt (htpasswd -nBC 10 prometheus)
/// ```
///
/// Read as YAML (the block mappings and scalars above, which is all the format uses) or as JSON
/// with the same keys. Anything else is refused with one line naming it: a setting probe would
/// silently ignore is worse than an error.
package struct WebConfiguration: Hashable, Sendable {
    /// TLS for the listener, when configured.
    package var tls: TLS?
    /// Users and their password hashes (crypt(3): bcrypt `$2y$`/`$2b$`/`$2a$`, or sha512-crypt `$6$`).
    package var users: [String: String] = [:]

    /// `tls_server_config`.
    package struct TLS: Hashable, Sendable {
        /// The certificate chain (PEM), absolute.
        package var certificateFile: String
        /// The private key (PEM), absolute.
        package var keyFile: String
        /// CA certificates client certificates must chain to (PEM), when clients must present one.
        package var clientCAFile: String?
        /// Whether a verified client certificate is required.
        package var requireClientCertificate = false
        /// The lowest TLS version accepted: `TLS12` (default) or `TLS13`.
        package var minimumVersion = "TLS12"
    }

    /// Reads and checks `path`; every problem is one line naming the file and key.
    package static func load(path: String) throws(WebConfigurationError) -> WebConfiguration {
        guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20 else {
            throw WebConfigurationError("cannot read web config file \(SafeText.quoted(path))")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw WebConfigurationError("\(path): not UTF-8 text") }
        let directory = (path as NSString).deletingLastPathComponent
        return try parse(text, source: path, directory: directory.isEmpty ? "." : directory)
    }

    /// Parses a web config (YAML or JSON); relative file names are taken from `directory`.
    package static func parse(_ text: String, source: String = "web config", directory: String = ".") throws(WebConfigurationError) -> WebConfiguration {
        let tree = try SimpleYAML.parse(text, source: source)
        var configuration = WebConfiguration()
        for (key, value) in tree {
            switch key {
            case "tls_server_config":
                guard case .mapping(let fields) = value else { throw WebConfigurationError("\(source): tls_server_config must be a mapping") }
                configuration.tls = try tls(fields, source: source, directory: directory)
            case "basic_auth_users":
                guard case .mapping(let users) = value else { throw WebConfigurationError("\(source): basic_auth_users must be a mapping of user names to password hashes") }
                for (user, hash) in users {
                    guard case .scalar(let hash) = hash, hash.hasPrefix("$") else {
                        throw WebConfigurationError("\(source): basic_auth_users.\(SafeText.escaped(user)) must be a password hash ($2y$... from 'htpasswd -nBC 10 \(SafeText.escaped(user))')")
                    }
                    guard !user.contains(":") else { throw WebConfigurationError("\(source): the user name \(SafeText.quoted(user)) holds a ':'") }
                    configuration.users[user] = hash
                }
            case "http_server_config":
                guard case .mapping(let fields) = value else { throw WebConfigurationError("\(source): http_server_config must be a mapping") }
                for (field, _) in fields where field != "http2" {
                    throw WebConfigurationError("\(source): http_server_config.\(SafeText.escaped(field)) is not supported by probe")
                }
            default:
                throw WebConfigurationError("\(source): unknown key \(SafeText.quoted(key)) (known: tls_server_config, basic_auth_users, http_server_config)")
            }
        }
        return configuration
    }

    private static func tls(_ fields: [(String, SimpleYAML.Node)], source: String, directory: String) throws(WebConfigurationError) -> TLS {
        var values: [String: String] = [:]
        let known: Set<String> = ["cert_file", "key_file", "client_ca_file", "client_auth_type", "min_version"]
        for (field, value) in fields {
            guard known.contains(field) else {
                throw WebConfigurationError("\(source): tls_server_config.\(SafeText.escaped(field)) is not supported by probe (known: \(known.sorted().joined(separator: ", ")))")
            }
            guard case .scalar(let text) = value else { throw WebConfigurationError("\(source): tls_server_config.\(field) must be a string") }
            values[field] = text
        }
        func file(_ field: String) -> String? {
            values[field].map { $0.hasPrefix("/") ? $0 : directory + "/" + $0 }
        }
        guard let certificate = file("cert_file"), let key = file("key_file") else {
            throw WebConfigurationError("\(source): tls_server_config needs both cert_file and key_file")
        }
        var tls = TLS(certificateFile: certificate, keyFile: key, clientCAFile: file("client_ca_file"))
        switch values["client_auth_type"] ?? "NoClientCert" {
        case "NoClientCert": break
        case "RequireAndVerifyClientCert":
            guard tls.clientCAFile != nil else { throw WebConfigurationError("\(source): client_auth_type RequireAndVerifyClientCert needs client_ca_file") }
            tls.requireClientCertificate = true
        case let other:
            throw WebConfigurationError("\(source): client_auth_type \(SafeText.quoted(other)) is not supported (NoClientCert or RequireAndVerifyClientCert)")
        }
        let version = values["min_version"] ?? "TLS12"
        guard ["TLS12", "TLS13"].contains(version) else {
            throw WebConfigurationError("\(source): min_version \(SafeText.quoted(version)) is not TLS12 or TLS13")
        }
        tls.minimumVersion = version
        for path in [tls.certificateFile, tls.keyFile] + (tls.clientCAFile.map { [$0] } ?? []) where !FileManager.default.isReadableFile(atPath: path) {
            throw WebConfigurationError("\(source): cannot read \(SafeText.quoted(path))")
        }
        return tls
    }

    /// Whether `authorization` (an `Authorization` header) names a configured user with the right
    /// password; `true` when no user is configured. Checks the password here and now when it must:
    /// a server calls ``check(authorization:cache:)`` and runs the check off its event loops.
    package func admits(authorization: String?, cache: PasswordCache) -> Bool {
        switch check(authorization: authorization, cache: cache) {
        case .admitted: return true
        case .refused: return false
        case .needsCheck(let check): return check.run()
        }
    }

    /// What an `Authorization` header calls for: admitted (no user configured, or credentials
    /// verified before), refused (malformed, none), or a password check (bcrypt: tens of
    /// milliseconds by design) to run.
    package enum AuthCheck: Sendable {
        /// Let it through.
        case admitted
        /// 401.
        case refused
        /// Run ``PasswordCheck/run()``.
        case needsCheck(PasswordCheck)
    }

    /// One password check (for ``check(authorization:cache:)``), remembered in the cache when right.
    package struct PasswordCheck: Sendable {
        /// The user name given.
        package let user: String
        let password: String
        let hash: String?
        let cache: PasswordCache

        /// Whether the password is right (an unknown user costs as much as a known one, so timing
        /// does not tell which users exist).
        package func run() -> Bool {
            guard let hash else {
                _ = WebConfiguration.verify(password, hash: "$2y$10$Mz1zNHTiRZg.Zs0dXYnUUehJqs6nFa7dWa2I2tpSj9BS7v1Qbm17K")
                return false
            }
            return cache.check(user: user, password: password, hash: hash) { WebConfiguration.verify(password, hash: hash) }
        }
    }

    /// See ``AuthCheck``.
    package func check(authorization: String?, cache: PasswordCache) -> AuthCheck {
        guard !users.isEmpty else { return .admitted }
        guard let authorization, authorization.count <= 4_096, authorization.lowercased().hasPrefix("basic "),
              let decoded = Data(base64Encoded: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
              let pair = String(data: decoded, encoding: .utf8), let colon = pair.firstIndex(of: ":")
        else { return .refused }
        let user = String(pair[..<colon]), password = String(pair[pair.index(after: colon)...])
        let hash = users[user]
        if let hash, cache.knows(user: user, password: password, hash: hash) { return .admitted }
        return .needsCheck(PasswordCheck(user: user, password: password, hash: hash, cache: cache))
    }

    /// Whether `password` hashes to `hash` (crypt(3) through libcrypt).
    package static func verify(_ password: String, hash: String) -> Bool {
        cprobe_password_matches(password, hash) == 1
    }

    /// Whether libcrypt can be loaded here (basic auth needs it).
    package static var canVerify: Bool { cprobe_crypt_available() != 0 }
}

/// Why a web config cannot be used, in one line.
package struct WebConfigurationError: Error, CustomStringConvertible, Sendable {
    /// The line.
    package var description: String
    init(_ description: String) { self.description = description }
}
