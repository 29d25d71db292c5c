import Foundation
import Testing
@testable import ProviderFetch

@Suite struct MD5Tests {
    @Test(arguments: [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
        ("12345678901234567890123456789012345678901234567890123456789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a"),
    ])
    func rfc1321TestSuite(input: String, digest: String) {
        #expect(MD5.hex(input) == digest)
    }
}

@Suite struct DecoderTests {
    static func json(_ text: String) throws -> JSONValue { try JSONValue.parse(Data(text.utf8)) }

    /// The documented XMPlus servers answer, verbatim (the emoji remark and the vmess URI).
    static let xmplusServers = #"""
        {"ret": 1, "status": "success", "servers": [{"type": "vmess", "remark": "🇬🇧 UK | X1.5 | AMZ", "address": "ukser.gbxcloud.com",
          "port": 443, "network": "tcp", "password": "9d6023b1-0948-4827-b9e9-9849b0fb5062", "alterid": 0, "encryption": "auto",
          "sni": "ukser.gbxcloud.com", "security": "", "allowinsecure": true, "header": "none", "fingerprint": "chrome",
          "uri": "vmess://eyJ2IjoiMiIsInBzIjoiXHVkODNjXHVkZGVjXHVkODNjXHVkZGU3IFVLIHwgWDEuNSB8IEFNGiIsImFkZCI6InVrc2VyLmdieGNsb3VkLmNvbSIsInBvcnQiOiI0NDMiLCJpZCI6IjlkNjAyM2IxLTA5NDgtNDgyNy1iOWU5LTk4NDliMGZiNTA2MiIsImFpZCI6IjAiLCJuZXQiOiJ0Y3AiLCJ0eXBlIjoibm9uZSIsImhvc3QiOiIiLCJwYXRoIjoiIn0="}]}
        """#

    @Test func xmplusDocumentedServer() throws {
        let servers = try ProviderDecoders.xmplusServers(try Self.json(Self.xmplusServers), provider: "xm")
        #expect(servers.count == 1)
        let server = try #require(servers.first)
        #expect(server.host == "ukser.gbxcloud.com" && server.port == 443)
        #expect(server.name == "🇬🇧 UK | X1.5 | AMZ" && server.country == "GB")
        #expect(server.protocol == "vmess" && server.transport == "tcp")
    }

    @Test func vmessURIWithControlCharactersAndStringNumbers() throws {
        let uri = try #require(try Self.json(Self.xmplusServers).value(at: "servers.0.uri")?.string)
        let vmess = try #require(VMessURI(uri))
        #expect(vmess.address == "ukser.gbxcloud.com" && vmess.port == 443 && vmess.network == "tcp")
        #expect(vmess.remark?.hasPrefix("🇬🇧 UK | X1.5 | AM") == true)
        // URL-safe alphabet without padding decodes too.
        let payload = uri.dropFirst("vmess://".count).replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").trimmingCharacters(in: CharacterSet(charactersIn: "="))
        let urlSafe = "vmess://" + payload
        #expect(VMessURI(urlSafe)?.address == "ukser.gbxcloud.com")
        #expect(VMessURI("vmess://!!!") == nil)
        #expect(VMessURI("trojan://x") == nil)
    }

    @Test func uriOnlyFillsWhatTheFieldsLack() throws {
        let uri = try #require(try Self.json(Self.xmplusServers).value(at: "servers.0.uri")?.string)
        let answer = try Self.json(#"{"ret":1,"servers":[{"type":"vmess","remark":"DE","address":"de.example","port":"","uri":"\#(uri)"},{"type":"hysteria","address":"","uri":"\#(uri)"}]}"#)
        let servers = try ProviderDecoders.xmplusServers(answer, provider: "xm")
        #expect(servers.map(\.host) == ["de.example", "ukser.gbxcloud.com"])
        #expect(servers[0].port == 443)  // empty port: taken from the uri
        #expect(servers[0].name == "DE")
    }

    @Test(arguments: [("443", 443), ("8000-8999", 8000), ("  2053 ", 2053), ("0", nil), ("70000", nil), ("abc", nil)] as [(String, Int?)])
    func portsFromStringsAndRanges(text: String, port: Int?) {
        #expect(ServerFields.port(.string(text)) == port)
    }

    @Test func xmplusRetOtherThanOneIsTheProvidersMessage() throws {
        #expect(throws: ProviderError(.provider, "Email or password wrong")) {
            try ProviderDecoders.xmplusToken(try Self.json(#"{"ret":0,"msg":"Email or password wrong"}"#))
        }
        let token = try ProviderDecoders.xmplusToken(try Self.json(#"{"ret":1,"status":"success","data":{"token":"eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJodHRwczovL3d3dy54bXBsdXMuZGV2IiwiYXVkIjoiaHR0cGM6Ly93d3cueG1wbHVzLmRldiIsImlhdCI6MTY3NzU0MTE4NSwiZXhwIjoxNjc3NzEzOTg1LCJlbWFpbCI6IndlYm1hc3RlckB4bXBsdXMuZGV2In0.1e4Vwk1XgVtmDHoOIVRFmcJPlE7t9Q27-opiWWhXdFE"}}"#))
        #expect(ProviderDecoders.jwtExpiry(token) == 1_677_713_985)
    }

    @Test func xmplusStats() throws {
        let account = try ProviderDecoders.xmplusAccount(try Self.json(#"""
            {"ret":1,"status":"success","info":{"username":"admin","iplimit":2,"onlineip":"0/2","expire_at":"2220-04-15 08:18:51"},
             "data":{"package":null,"used":"0 B","remaining":"100 G","total":"100 G"}}
            """#))
        #expect(account.expiresAt == "2220-04-15 08:18:51" && account.remainingTraffic == "100 G" && account.onlineDevices == "0/2")
        #expect(account.exclusionReason == nil)
        let empty = try ProviderDecoders.xmplusAccount(try Self.json(#"{"ret":1,"info":{},"data":{"remaining":"0 B"}}"#))
        #expect(empty.exclusionReason == "no traffic left")
    }

    static let vpnscriptPage = #"""
        {"current_page": 1, "data": [{"id": 1, "name": "Test Server", "country": "Germany", "country_slug": "germany",
          "country_iso_code": "de", "city": "", "state": "Frankfurt", "host": "", "ipaddr": "127.0.0.1", "protocol": "openvpn",
          "config_id": 1, "wg_available_slots": 253, "wg_slots": 0}],
         "first_page_url": "http://127.0.0.1:8000/api/servers?page=1", "from": 1, "last_page": 2,
         "next_page_url": "http://127.0.0.1:8000/api/servers?page=2", "path": "http://127.0.0.1:8000/api/servers",
         "per_page": "1", "prev_page_url": null, "to": 1, "total": 2}
        """#

    @Test func vpnscriptPaginatorAndCityInState() throws {
        let page = try ProviderDecoders.vpnscriptServers(try Self.json(Self.vpnscriptPage), provider: "vs")
        #expect(page.next == "http://127.0.0.1:8000/api/servers?page=2")
        let server = try #require(page.servers.first)
        #expect(server.host == "127.0.0.1" && server.city == "Frankfurt" && server.country == "DE" && server.countryName == "Germany")
        #expect(server.protocol == "openvpn" && server.wgAvailableSlots == 253 && server.wgSlots == 0 && server.id == "vs:1")
        let last = try ProviderDecoders.vpnscriptServers(try Self.json(#"{"data":[],"next_page_url":null}"#), provider: "vs")
        #expect(last.next == nil && last.servers.isEmpty)
    }

    @Test(arguments: [
        (#"{"message":"The given data was invalid.","errors":{"password":["The password field is required."]}}"#, 422, "password: The password field is required."),
        (#"{"success":false,"message":"The provided credentials are incorrect."}"#, 422, "The provided credentials are incorrect."),
        (#"{"status":false,"error":"Your account has been suspended.","suspend_reason":null}"#, 400, "Your account has been suspended."),
        (#"{"success":false,"message":"Unauthenticated."}"#, 401, "Unauthenticated."),
    ])
    func vpnscriptDocumentedErrors(body: String, status: Int, message: String) throws {
        #expect(throws: ProviderError.self) { try ProviderDecoders.vpnscriptToken(try Self.json(body), status: status) }
        #expect(ProviderDecoders.vpnscriptError(try Self.json(body), status: status).message == message)
        #expect(try ProviderDecoders.vpnscriptToken(try Self.json(#"{"success":true,"message":null,"token":"12|TDLL"}"#), status: 200) == "12|TDLL")
    }

    @Test func netmimicLenientShapesAndOverrides() throws {
        let login = try ProviderDecoders.netmimicLogin(try Self.json(#"{"token":"t","device_id":"srv-7"}"#), status: 200, sentDeviceID: .string("mine"))
        #expect(login.deviceID == .string("srv-7"))
        #expect(throws: ProviderError(.authentication, "Неверный логин или пароль")) {
            try ProviderDecoders.netmimicLogin(try Self.json(#"{"error":"Неверный логин или пароль"}"#), status: 401, sentDeviceID: .string("x"))
        }
        let bare = try ProviderDecoders.netmimicServers(try Self.json(#"""
            [{"id":"5","name":"Amsterdam","country":"NL","city":"Amsterdam","api_url":"https://ams.example:8443/ping","active_connections":"17"},
             {"id":6,"ipaddr":"198.18.5.5","port":"443","connections":3}]
            """#), provider: "nm", fields: .lenient)
        #expect(bare.map(\.host) == ["ams.example", "198.18.5.5"])
        #expect(bare[0].port == 8443 && bare[0].load == 17 && bare[0].pingURL == "https://ams.example:8443/ping")
        #expect(bare[1].port == 443 && bare[1].load == 3)
        let wrapped = try ProviderDecoders.netmimicServers(try Self.json(#"{"data":[{"srv":"x.example","users":"9"}]}"#), provider: "nm",
                                                          fields: ServerFields.lenient.overridden(by: ["host": "srv", "load": "users"]))
        #expect(wrapped.first?.host == "x.example" && wrapped.first?.load == 9)
    }

    @Test func xpayAuthenticationBothShapes() throws {
        let ok = try ProviderDecoders.xpayToken(try Self.json(#"""
            {"success":{"message":"Authenticated","data":{"success":true,"expiresAt":1783077877510,"user":{"username":"email@test.com"},
             "ticket":"b1d4","access_token":"eyJhbGciO"},"uuid":"f862"}}
            """#))
        #expect(ok.token == "eyJhbGciO" && ok.expiresAtMilliseconds == 1_783_077_877_510)
        #expect(throws: ProviderError(.authentication, "invalid credentials")) {
            try ProviderDecoders.xpayToken(try Self.json(#"{"error":{"message":"invalid credentials","data":{"invalid":true},"tag":"6181"},"uuid":"973e"}"#))
        }
    }

    @Test func genericJSONWithDottedPathAndFieldMap() throws {
        let answer = try Self.json(#"{"success":{"data":{"items":[{"host":"a.example","port":"8443","label":"A","region":"DE","load":"0.4"}]}}}"#)
        let fields = ServerFields.lenient.overridden(by: ["name": "label", "country": "region"])
        let servers = try ProviderDecoders.genericServers(answer, items: "success.data.items", provider: "xp", fields: fields)
        #expect(servers.first?.name == "A" && servers.first?.country == "DE" && servers.first?.port == 8443 && servers.first?.load == 0.4)
        #expect(throws: ProviderError(.unexpectedShape, "no array at 'success.items'")) {
            try ProviderDecoders.genericServers(answer, items: "success.items", provider: "xp", fields: fields)
        }
    }

    @Test func staticListsInJSONAndCSV() throws {
        let json = try ProviderDecoders.staticServers(Data(#"[{"host":"198.18.1.1","port":443,"name":"one","protocol":"wireguard","wg_available_slots":0,"wg_slots":10}]"#.utf8), provider: "mine")
        #expect(json.first?.wgAvailableSlots == 0 && json.first?.protocol == "wireguard")
        let csv = try ProviderDecoders.staticServers(Data("host,port,name,country\n198.18.1.2,8443,\"two, the second\",DE\n# comment\n198.18.1.3,,three,NL\n".utf8), provider: "mine")
        #expect(csv.map(\.host) == ["198.18.1.2", "198.18.1.3"])
        #expect(csv[0].name == "two, the second" && csv[0].port == 8443 && csv[1].port == nil)
        #expect(throws: ProviderError.self) { try ProviderDecoders.staticServers(Data("name,city\nx,y\n".utf8), provider: "mine") }
    }

    @Test func malformedJSONIsOneLine() {
        #expect(throws: ProviderError(.malformedJSON, "the answer is not valid JSON")) { try JSONValue.parse(Data("{\"ret\": 1,".utf8)) }
    }
}
