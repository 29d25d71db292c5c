import Foundation
import Testing
@testable import ProviderFetch

@Suite struct ServerTests {
    @Test func encodesTheNormalisedKeys() throws {
        let server = Server(provider: "vs", id: "vs-12", name: "Frankfurt 1", country: "DE", city: "Frankfurt",
                            host: "198.18.4.1", port: 51820, protocol: "wireguard", wgAvailableSlots: 3, wgSlots: 10)
        let object = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(server)) as? [String: Any])
        #expect(object["wg_available_slots"] as? Int == 3)
        #expect(object["wg_slots"] as? Int == 10)
        #expect(object["protocol"] as? String == "wireguard")
        let decoded = try JSONDecoder().decode(Server.self, from: JSONEncoder().encode(server))
        #expect(decoded == server)
    }
}
