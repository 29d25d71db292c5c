import Foundation
import Testing
@testable import ProviderFetch

/// Servers the account cannot use are left out with the reason; countries match what users type.
@Suite struct AccountAndCountryTests {
    static func vpnscript(_ services: String) throws -> AccountState {
        try ProviderDecoders.vpnscriptAccount(try JSONValue.parse(Data(#"{"success":true,"data":{"status":2,"suspend_reason":null\#(services)}}"#.utf8)))
    }

    @Test func vpnscriptAccountsWithoutAnActiveServiceAreLeftOut() throws {
        #expect(try Self.vpnscript(#","service":[{"id":1,"status":"Active","next_payment":"2999-01-01"}]"#).exclusionReason == nil)
        #expect(try Self.vpnscript(#","service":[{"id":1,"status":"Inactive","next_payment":"2999-01-01"}]"#).exclusionReason == "no active service")
        #expect(try Self.vpnscript(#","service":[]"#).exclusionReason == "no service on the account")
        #expect(try Self.vpnscript(#","service":[{"id":1,"status":"Active","next_payment":"2020-01-01"}]"#).exclusionReason == "account expired")
        // One active service among lapsed ones is enough; no `service` key at all: nothing known, kept.
        #expect(try Self.vpnscript(#","service":[{"status":"Active","next_payment":"2020-01-01"},{"status":"Active","next_payment":"2999-01-01"}]"#).exclusionReason == nil)
        #expect(try Self.vpnscript("").exclusionReason == nil)
    }

    @Test func anXMPlusDeviceLimitIsNotedNotLeftOut() throws {
        let full = try ProviderDecoders.xmplusAccount(try JSONValue.parse(Data(
            #"{"ret":1,"info":{"iplimit":2,"onlineip":"2/2","expire_at":"2999-04-15 08:18:51"},"data":{"remaining":"99 G"}}"#.utf8)))
        #expect(full.exclusionReason == nil)
        #expect(full.note == "device limit reached: 2/2 (a new connection may replace a session of yours)")
        let bare = try ProviderDecoders.xmplusAccount(try JSONValue.parse(Data(#"{"ret":1,"info":{"iplimit":2,"onlineip":"1"},"data":{}}"#.utf8)))
        #expect(bare.onlineDevices == "1/2" && bare.note == nil)
    }

    @Test(arguments: [("DE", "DE"), ("de", "DE"), ("Germany", "DE"), ("germany", "DE"), ("🇩🇪", "DE"), ("UK", "GB"),
                      ("United Kingdom", "GB"), ("USA", "US"), ("Netherlands", "NL"), ("Czech Republic", "CZ"), ("Atlantis", "Atlantis")])
    func countriesAsUsersTypeThem(text: String, code: String) {
        #expect(CountryCode.code(text) == code)
    }

    @Test func serversCarryTheCodeAndTheProvidersName() throws {
        let page = try ProviderDecoders.vpnscriptServers(try JSONValue.parse(Data(DecoderTests.vpnscriptPage.utf8)), provider: "vs")
        #expect(page.servers.allSatisfy { $0.country == "DE" && $0.countryName == "Germany" })
        let encoded = String(decoding: try JSONEncoder().encode(page.servers[0]), as: UTF8.self)
        #expect(encoded.contains(#""country":"DE""#) && encoded.contains(#""country_name":"Germany""#))
    }
}
