import Foundation
import Testing
@testable import ProbeKit
@testable import ProbeServe
import ProviderFetch

/// `probe serve`'s web config (YAML and JSON, as the exporter toolkit writes it) and basic auth
/// (bcrypt through libcrypt, successes remembered).
@Suite struct WebConfigurationTests {
    static let hash = "$2b$10$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2u"  // bcrypt("secret")

    @Test func aWebConfigReadsAsExporterToolkitWritesIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("probe-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["cert.pem", "key.pem", "ca.pem"] { try "x".write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        let yaml = """
            ---
            # comment
            tls_server_config:   # trailing comment
              cert_file: cert.pem
              key_file: 'key.pem'
              client_auth_type: "RequireAndVerifyClientCert"
              client_ca_file: \(directory.path)/ca.pem
              min_version: TLS13
            http_server_config:
              http2: false
            basic_auth_users:
              alice: \(Self.hash)
              "bob smith": '\(Self.hash)'
            """
        let web = try WebConfiguration.parse(yaml, directory: directory.path)
        let tls = try #require(web.tls)
        #expect(tls.certificateFile == directory.path + "/cert.pem" && tls.keyFile == directory.path + "/key.pem")
        #expect(tls.requireClientCertificate && tls.clientCAFile == directory.path + "/ca.pem" && tls.minimumVersion == "TLS13")
        #expect(web.users == ["alice": Self.hash, "bob smith": Self.hash])
        let json = try WebConfiguration.parse(#"{"basic_auth_users": {"alice": "\#(Self.hash)"}}"#)
        #expect(json.users == ["alice": Self.hash] && json.tls == nil)
    }

    @Test(arguments: [
        ("basic_auth_users:\n\talice: x\n", "tabs"),
        ("a: [1, 2]\n", "only plain or quoted strings"),
        ("basic_auth_users:\n  alice: \"$2y$\n", "unterminated"),
        ("tls_server_config:\n  cert_file: a\n  cert_file: b\n", "given twice"),
        ("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequestClientCert\n", "client_auth_type"),
        ("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS10\n", "min_version"),
        ("{\"basic_auth_users\": [1]}", "must be a string or an object"),
        ("basic_auth_users:\n  'a:b': $2y$10$x\n", "holds a ':'"),
    ])
    func aBadWebConfigSaysWhatIsWrong(_ text: String, _ reason: String) {
        #expect(throws: WebConfigurationError.self) { try WebConfiguration.parse(text) }
        do {
            _ = try WebConfiguration.parse(text)
        } catch {
            #expect(error.description.contains(reason), "\(error.description)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func basicAuthChecksBcryptThroughLibcryptAndRemembersSuccesses() throws {
        try #require(WebConfiguration.canVerify, "libcrypt is missing")
        #expect(WebConfiguration.verify("secret", hash: Self.hash))
        #expect(!WebConfiguration.verify("Secret", hash: Self.hash))
        #expect(!WebConfiguration.verify("secret", hash: "$2b$10$garbage"))
        let web = WebConfiguration(users: ["alice": Self.hash])
        let cache = PasswordCache()
        func basic(_ text: String) -> String { "Basic " + Data(text.utf8).base64EncodedString() }
        #expect(web.admits(authorization: basic("alice:secret"), cache: cache))
        #expect(!web.admits(authorization: basic("alice:wrong"), cache: cache))
        #expect(!web.admits(authorization: basic("mallory:secret"), cache: cache))
        #expect(!web.admits(authorization: nil, cache: cache))
        #expect(!web.admits(authorization: "Bearer x", cache: cache))
        #expect(!web.admits(authorization: "Basic !!!", cache: cache))
        // The second check of the same credentials does not run bcrypt again.
        var ran = false
        #expect(cache.check(user: "alice", password: "secret", hash: Self.hash) { ran = true; return false })
        #expect(!ran)
        #expect(WebConfiguration().admits(authorization: nil, cache: cache), "no users: no auth")
    }
}
