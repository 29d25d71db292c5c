import FoundationEssentials
import HandshakeCrypto
import ProviderFetch
import SafeText

/// `probe --best --demo --connect DIR`: what a client would be handed for the demo's pick, made
/// here because the demo has no provider to ask. Marked as the demo's everywhere (a comment in
/// the profile and the wg-quick file, the manifest's notes): throwaway WireGuard keys whose tunnel
/// would route only a documentation range (198.19.255.0/24, never the default route), an OpenVPN
/// profile over TCP with a CA whose key is gone and throwaway credentials, and a share link with
/// an all-zero id, for a loopback listener that speaks no VPN protocol at all. The files go through the same
/// gate and the same extras (gluetun, mihomo, Xray and sing-box outbounds) as a provider's.
enum DemoMaterial {
    /// A CA certificate made for the demo (`openssl req -x509`, P-256); its key was thrown away,
    /// so nothing can be signed by it: OpenVPN reads the profile, no server can ever be trusted.
    static let demoCA = """
        -----BEGIN CERTIFICATE-----
        MIIBujCCAV+gAwIBAgIUFcxp3AbH+c2jG4Q3ZdGaSrCzszwwCgYIKoZIzj0EAwIw
        MTEvMC0GA1UEAwwmcHJvYmUgZGVtbyBDQSAodGhyb3dhd2F5LCBubyBrZXkga2Vw
        dCkwIBcNMjYxMjA2MDgwNjI3WhgPMjEyNjExMTIwODA2MjdaMDExLzAtBgNVBAMM
        JnByb2JlIGRlbW8gQ0EgKHRocm93YXdheSwgbm8ga2V5IGtlcHQpMFkwEwYHKoZI
        zj0CAQYIKoZIzj0DAQcDQgAEhXFwYGwE8s7mFMiFKM31JE12HBJ5yVuJOlLsM3OC
        CHJ1WnhefMVQvhJBR7xMhTE+C7Xgch7Msp+WzEn0zEzLyKNTMFEwHQYDVR0OBBYE
        FNfJs8fhsZEBkPlUIYKeEP4D7h1fMB8GA1UdIwQYMBaAFNfJs8fhsZEBkPlUIYKe
        EP4D7h1fMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIhALk9cTjN
        mUoXexs1vPs01olGKnqwXcRrq5b7wGkCxMA2AiEA7ORyyr9TRlfMHqc6GIDzdzqf
        n4/dMs8cKDnHCJTWuco=
        -----END CERTIFICATE-----

        """

    /// The note every demo connection carries.
    static let note = "demo: throwaway material for a loopback listener of probe's demo; there is no VPN server behind it"

    /// The material for `server` (a demo server), or `nil` for a protocol the demo has none for.
    static func material(for server: Server) -> ConnectionMaterial? {
        let port = server.port ?? 443
        let material: ConnectionMaterial
        switch server.protocol?.lowercased() {
        case "wireguard"?:
            let client = WireGuardKeyPair.generate(), peer = WireGuardKeyPair.generate()
            let endpoint = server.host.contains(":") ? "[\(server.host)]:\(port)" : "\(server.host):\(port)"
            let text = """
                [Interface]
                PrivateKey = \(client.privateKey)
                Address = 198.19.255.2/32

                [Peer]
                PublicKey = \(peer.publicKey)
                AllowedIPs = 198.19.255.0/24
                Endpoint = \(endpoint)

                """
            material = ConnectionMaterial(protocol: "wireguard", host: server.host, port: port, transport: "udp",
                                          files: [MaterialFile(kind: "wireguard", name: "probe-demo.conf", contents: text)])
        case "openvpn"?:
            // Over TCP to the listener, a CA certificate made for the demo and thrown away with its
            // key, and throwaway credentials: OpenVPN reads the profile and connects, and the
            // listener, which speaks no OpenVPN, ends it there.
            let authName = ProviderFetcher.fileNames["openvpn_auth"] ?? "openvpn-auth.txt"
            let served = """
                client
                dev tun
                proto tcp-client
                remote \(server.host) \(port)
                nobind
                connect-retry-max 1
                remote-cert-tls server
                auth-user-pass
                verb 3
                <ca>
                \(demoCA)</ca>

                """
            // (`auth-user-pass` names no file: the connection's directory writes its own path in.)
            material = ConnectionMaterial(
                protocol: "openvpn", host: server.host, port: port, transport: "tcp",
                files: [MaterialFile(kind: "openvpn", name: ProviderFetcher.fileNames["openvpn"] ?? "profile.ovpn", contents: served),
                        MaterialFile(kind: "openvpn_auth", name: authName, contents: OpenVPNProfile.authFile(username: "probe-demo", password: "throwaway"))])
        case "vmess"?, "vless"?:
            // The demo's proxies as a vmess link (its `ps` names it the demo's), id all zeros.
            let link = #"{"v":"2","ps":"probe demo (no server)","add":"\#(server.host)","port":"\#(port)","id":"00000000-0000-0000-0000-000000000000","aid":"0","net":"tcp","tls":""}"#
            let uri = "vmess://" + Data(link.utf8).base64EncodedString()
            guard case .success(let entry) = ShareLink.entry(uri), case .proxy(let fields) = entry.material,
                  let outbound = ProxyOutbound(fields: fields, fallbackHost: server.host, fallbackPort: port) else { return nil }
            var files = [MaterialFile(kind: "uri", name: ProviderFetcher.fileNames["uri"] ?? "uri.txt", contents: outbound.uri + "\n")]
            if let xray = outbound.xray {
                files.append(MaterialFile(kind: "xray", name: ProviderFetcher.fileNames["xray"] ?? "xray-outbound.json", contents: xray.text() + "\n"))
            }
            if let singBox = outbound.singBox {
                files.append(MaterialFile(kind: "sing-box", name: ProviderFetcher.fileNames["sing-box"] ?? "sing-box-outbound.json", contents: singBox.text() + "\n"))
            }
            material = ConnectionMaterial(protocol: "vmess", host: server.host, port: port, transport: "tcp", files: files)
        default:
            return nil
        }
        guard var checked = try? MaterialPolicy.apply(material, allowScripts: false) else { return nil }
        checked.notes.insert(note, at: 0)
        // Marked in the file too (after the gate, which keeps no comments of a provider's).
        for index in checked.files.indices {
            switch checked.files[index].kind {
            case "wireguard":
                checked.files[index].contents = "# probe demo: throwaway keys for a loopback listener (\(checked.host)); no WireGuard server answers there.\n"
                    + "# Bringing it up routes only 198.19.255.0/24 (a documentation range), never the default route.\n" + checked.files[index].contents
            case "openvpn":
                checked.files[index].contents = "# probe demo: a throwaway profile for a loopback listener (\(checked.host)); no OpenVPN server answers there.\n"
                    + checked.files[index].contents
            default: break
            }
        }
        return HandoverExtras.extend(checked) { HandoverExtras.isAddress($0) ? $0 : nil }
    }
}
