import FoundationEssentials
import SafeText
import Prober
import ProviderFetch

/// Sample answers of all four provider kinds, in their documented shapes, pointing at the demo's
/// loopback listeners and decoded by the real decoders: `probe --best --demo` shows provider
/// servers end to end with no account and no network.
enum DemoProviders {
    /// Servers for `open` (listening) and `closed` addresses, as the four providers would list them.
    static func servers(open: [SocketAddress], closed: [SocketAddress]) -> [Server] {
        guard open.count >= 3, closed.count >= 2 else { return [] }
        func vmess(_ address: SocketAddress, remark: String) -> String {
            let json = #"{"v":"2","ps":"\#(remark)\#u{1A}","add":"\#(address.host)","port":"\#(address.port)","id":"00000000-0000-0000-0000-000000000000","aid":"0","net":"ws"}"#
            return "vmess://" + Data(json.utf8).base64EncodedString().replacingAll("=", with: "")
        }
        let xmplus = #"""
            {"ret":1,"status":"success","servers":[
             {"type":"vmess","remark":"🇬🇧 UK | X1.5 | AMZ","address":"\#(open[0].host)","port":"\#(open[0].port)-\#(open[0].port &+ 99)","network":"tcp","uri":""},
             {"type":"vless","remark":"","address":"","port":"","uri":"\#(vmess(open[1], remark: "🇩🇪 DE | X1"))"}]}
            """#
        let vpnscript = #"""
            {"current_page":1,"data":[{"id":7,"name":"Frankfurt WG","country":"Germany","country_iso_code":"de","city":"","state":"Frankfurt",
             "host":"","ipaddr":"\#(open[2].host)","port":"\#(open[2].port)","protocol":"wireguard","wg_available_slots":"12","wg_slots":"250"},
             {"id":8,"name":"Frankfurt OpenVPN","country":"Germany","country_iso_code":"de","city":"","state":"Frankfurt",
             "host":"","ipaddr":"\#(open[2].host)","port":"\#(open[2].port)","protocol":"openvpn"}],
             "next_page_url":null,"last_page":1,"total":2}
            """#
        let netmimic = #"""
            [{"id":"ams-1","name":"Amsterdam","country":"NL","city":"Amsterdam","api_url":"http://\#(closed[0].host):\#(closed[0].port)/ping","active_connections":"41"}]
            """#
        let xpay = #"""
            {"success":{"data":{"items":[{"host":"\#(closed[1].host)","port":\#(closed[1].port),"label":"Paris","region":"FR","load":0.7}]}}}
            """#
        var servers: [Server] = []
        func decode(_ text: String, _ body: (JSONValue) throws -> [Server]) {
            if let json = try? JSONValue.parse(Data(text.utf8)), let decoded = try? body(json) { servers += decoded }
        }
        decode(xmplus) { try ProviderDecoders.xmplusServers($0, provider: "demo-xmplus") }
        decode(vpnscript) { try ProviderDecoders.vpnscriptServers($0, provider: "demo-vpnscript").servers }
        decode(netmimic) { try ProviderDecoders.netmimicServers($0, provider: "demo-netmimic", fields: .lenient) }
        decode(xpay) {
            try ProviderDecoders.genericServers($0, items: "success.data.items", provider: "demo-xpay",
                                                fields: ServerFields.lenient.overridden(by: ["name": "label", "country": "region"]))
        }
        return servers
    }
}
