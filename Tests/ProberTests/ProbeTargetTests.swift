import Testing
@testable import Prober

@Suite struct ProbeTargetTests {
    @Test(arguments: [
        ("example.org", "example.org", UInt16(443)),
        ("example.org:8443", "example.org", 8443),
        ("127.0.0.1", "127.0.0.1", 443),
        ("127.0.0.1:22", "127.0.0.1", 22),
        ("::1", "::1", 443),
        ("[::1]", "::1", 443),
        ("[::1]:8080", "::1", 8080),
        ("2001:db8::7", "2001:db8::7", 443),
        ("[2001:db8::7]:1", "2001:db8::7", 1),
        ("  vpn-1.example.net:65535  ", "vpn-1.example.net", 65535),
    ])
    func parsesValidTargets(text: String, host: String, port: UInt16) throws {
        let target = try ProbeTarget(parsing: text)
        #expect(target.host == host)
        #expect(target.port == port)
    }

    @Test(arguments: [
        ("", "empty target"),
        ("host:0", "not a port"),
        ("host:65536", "not a port"),
        ("host:abc", "not a port"),
        ("[::1", "missing ']'"),
        ("[::1]x", "expected ':port'"),
        ("[example.org]:1", "only for IPv6"),
        ("bad host", "not a valid host"),
        ("a..b", "not a valid host"),
        ("2001:db8::zz", "not a valid IPv6"),
        (":443", "missing host"),
        // Mistyped IPv4 addresses are never sent to a resolver as names.
        ("127.1.271.143", "not a valid IPv4 address"),
        ("198.18.0.256:443", "not a valid IPv4 address"),  // parsed only: rejected before any lookup
        ("1.2.3", "not a valid IPv4 address"),
        ("999", "not a valid IPv4 address"),
        ("bad\u{1B}[2Jhost", "not a valid host"),
    ])
    func rejectsBadTargetsNamingTheProblem(text: String, reason: String) {
        #expect {
            try ProbeTarget(parsing: text)
        } throws: { error in
            guard let error = error as? TargetParseError else { return false }
            return error.reason.contains(reason) && error.description.contains("bad target")
        }
    }

    @Test func numericAddressesNeedNoLookup() throws {
        let v4 = try #require(SocketAddress(numericHost: "198.18.0.1", port: 80))
        #expect(v4.family == .inet)
        #expect(v4.description == "198.18.0.1:80")
        let v6 = try #require(SocketAddress(numericHost: "2001:db8::1", port: 443))
        #expect(v6.family == .inet6)
        #expect(v6.description == "[2001:db8::1]:443")
        #expect(SocketAddress(numericHost: "example.org", port: 1) == nil)
        #expect(SocketAddress(numericHost: "127.9.9.9", port: 1)?.isLoopback == true)
        #expect(SocketAddress(numericHost: "::1", port: 1)?.isLoopback == true)
        #expect(SocketAddress(numericHost: "198.18.0.1", port: 1)?.isLoopback == false)
    }
}
